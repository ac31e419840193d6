"""Panels are placed on the grid by code: rows of cells flowing left to right, wrapping when full."""

from __future__ import annotations

import pytest
from grafanalib.core import Text

from dashboards_src.layout import Cell, Section, place


def _positions(sections: list[Section]) -> list[tuple[str, int, dict[str, int]]]:
    return [(p.title, p.id, p.gridPos.to_json_data()) for p in place(sections)]


def test_place_flows_cells_left_to_right_and_wraps_below_the_tallest_of_a_line() -> None:
    sections = [
        Section(
            "one", [Cell(Text(title="a"), 12, 8), Cell(Text(title="b"), 8, 4), Cell(Text(title="c"), 6, 3)]
        ),
        Section("two", [Cell(Text(title="d"), 24, 2)]),
    ]
    assert _positions(sections) == [
        ("one", 1, {"h": 1, "w": 24, "x": 0, "y": 0}),
        ("a", 2, {"h": 8, "w": 12, "x": 0, "y": 1}),
        ("b", 3, {"h": 4, "w": 8, "x": 12, "y": 1}),
        ("c", 4, {"h": 3, "w": 6, "x": 0, "y": 9}),
        ("two", 5, {"h": 1, "w": 24, "x": 0, "y": 12}),
        ("d", 6, {"h": 2, "w": 24, "x": 0, "y": 13}),
    ]


@pytest.mark.parametrize(("width", "height"), [(0, 4), (25, 4), (12, 0)])
def test_a_cell_outside_the_grid_is_refused_with_its_title(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="cell 'x': width must be 1-24 and height at least 1"):
        Cell(Text(title="x"), width, height)


def test_a_section_without_panels_is_an_error() -> None:
    with pytest.raises(ValueError, match="section 'empty' has no panels"):
        place([Section("empty", [])])

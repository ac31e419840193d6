"""Placing panels on Grafana's 24-column grid: titled rows of cells flowing left to right, ids in reading order.

Positions and ids are computed, never written by hand, so panels cannot overlap and ids stay stable as long
as the order of panels does.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import attr
from grafanalib.core import GridPos, RowPanel

GRID_WIDTH = 24
ROW_HEIGHT = 1


@dataclass(frozen=True)
class Cell:
    """A panel and the room it takes: width in grid columns (1-24), height in grid units (30 px)."""

    panel: Any
    width: int
    height: int

    def __post_init__(self) -> None:
        """A cell Grafana could not place is refused when built, naming its panel."""
        if not 1 <= self.width <= GRID_WIDTH or self.height < 1:
            raise ValueError(
                f"cell {self.panel.title!r}: width must be 1-{GRID_WIDTH} and height at least 1, "
                f"got {self.width}x{self.height}"
            )


@dataclass(frozen=True)
class Section:
    """A titled row of the dashboard and its cells."""

    title: str
    cells: Sequence[Cell]


def stat(panel: Any) -> Cell:
    """Six single values side by side, a row one can read at a glance."""
    return Cell(panel, GRID_WIDTH // 6, 4)


def half(panel: Any) -> Cell:
    """Two charts side by side, wide enough for a readable time axis."""
    return Cell(panel, GRID_WIDTH // 2, 8)


def place(sections: Sequence[Section]) -> list[Any]:
    """Rows and their panels with gridPos and ids set; a cell that does not fit wraps to a new line."""
    ids = itertools.count(1)
    placed: list[Any] = []
    y = 0
    for section in sections:
        if not section.cells:
            raise ValueError(f"section {section.title!r} has no panels")
        placed.append(
            RowPanel(title=section.title, id=next(ids), gridPos=GridPos(h=ROW_HEIGHT, w=GRID_WIDTH, x=0, y=y))
        )
        y += ROW_HEIGHT
        x = line_height = 0
        for cell in section.cells:
            if x + cell.width > GRID_WIDTH:
                x, y, line_height = 0, y + line_height, 0
            placed.append(
                attr.evolve(cell.panel, id=next(ids), gridPos=GridPos(h=cell.height, w=cell.width, x=x, y=y))
            )
            x += cell.width
            line_height = max(line_height, cell.height)
        y += line_height
    return placed

"""A deterministic synthetic credit dataset in the style of Home Credit's application table.

Applicants are drawn from plausible marginals (income, credit, annuity, age, employment, family, external
scores…) with the usual dependencies between them; the default label comes from a logistic model of a latent
credit quality that the external scores observe with noise, plus debt burden and stability effects. The
intercept is solved so that the default rate is DEFAULT_RATE. Same seed, same rows, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from conventions.artifact_format import LABEL
from serving.features import FEATURES, NAMES

DEFAULT_RATE = 0.08
"""Share of applicants who default, as in Home Credit's training set."""

Floats = npt.NDArray[np.float64]


def _categorical(
    rng: np.random.Generator, name: str, weights: dict[str, float], n: int
) -> npt.NDArray[np.str_]:
    """n draws of one feature's categories with the given weights (every category of the schema named)."""
    categories = next(f.categories for f in FEATURES if f.name == name)
    assert set(weights) == set(categories), f"weights of {name} must cover {categories}"
    p = np.array([weights[c] for c in categories])
    return rng.choice(np.array(categories), size=n, p=p / p.sum())


def _sigmoid(x: Floats) -> Floats:
    return np.asarray(1 / (1 + np.exp(-x)), dtype=np.float64)


@dataclass(frozen=True)
class _People:
    age: Floats
    income_type: npt.NDArray[np.str_]
    years_employed: Floats
    education: npt.NDArray[np.str_]
    family_status: npt.NDArray[np.str_]
    children: npt.NDArray[np.int64]
    quality: Floats
    """Latent creditworthiness, N(0, 1): what the external scores measure and what drives default."""


def _people(rng: np.random.Generator, n: int) -> _People:
    age = 21 + 48 * rng.beta(2.0, 2.3, n)
    income_type = _categorical(
        rng,
        "income_type",
        {
            "working": 0.52,
            "commercial_associate": 0.23,
            "pensioner": 0.06,
            "state_servant": 0.07,
            "unemployed": 0.004,
            "student": 0.003,
            "businessman": 0.002,
            "maternity_leave": 0.003,
        },
        n,
    )
    income_type = np.where((age > 60) & (rng.random(n) < 0.85), "pensioner", income_type)
    idle = np.isin(income_type, ["pensioner", "unemployed", "student"])
    years_employed = np.where(idle, 0.0, np.minimum(age - 18, rng.gamma(1.4, 4.0, n)))
    education = _categorical(
        rng,
        "education",
        {
            "lower_secondary": 0.012,
            "secondary": 0.71,
            "incomplete_higher": 0.033,
            "higher": 0.243,
            "academic_degree": 0.002,
        },
        n,
    )
    family_status = _categorical(
        rng,
        "family_status",
        {
            "married": 0.64,
            "single": 0.15,
            "civil_marriage": 0.10,
            "separated": 0.064,
            "widow": 0.046,
        },
        n,
    )
    family_status = np.where((age > 62) & (rng.random(n) < 0.2), "widow", family_status)
    children = np.minimum(rng.poisson(np.where(age < 55, 0.55, 0.1)), 6)
    z = rng.normal(0, 1, n)
    quality = z - 0.6 * np.minimum(z, 0) ** 2  # a long tail of weak applicants, as in real books
    return _People(age, income_type, years_employed, education, family_status, children, quality)


def _income(rng: np.random.Generator, people: _People) -> Floats:
    by_education = {"higher": 1.3, "academic_degree": 1.6, "incomplete_higher": 1.1, "lower_secondary": 0.8}
    by_income_type = {
        "pensioner": 0.7,
        "state_servant": 1.1,
        "commercial_associate": 1.2,
        "businessman": 2.5,
        "student": 0.5,
        "unemployed": 0.4,
        "maternity_leave": 0.6,
    }
    factor = np.vectorize(lambda e: by_education.get(e, 1.0))(people.education)
    factor = factor * np.vectorize(lambda t: by_income_type.get(t, 1.0))(people.income_type)
    income = rng.lognormal(np.log(150_000), 0.45, len(people.age)) * factor * np.exp(0.15 * people.quality)
    return np.asarray(np.round(income / 450) * 450, dtype=np.float64)


def _default_logit(frame: pd.DataFrame, quality: Floats) -> Floats:
    """The true risk (before the intercept): quality, debt burden, stability and profile effects."""
    education = {
        "lower_secondary": 0.35,
        "secondary": 0.0,
        "incomplete_higher": -0.1,
        "higher": -0.4,
        "academic_degree": -0.7,
    }
    income_type = {
        "working": 0.05,
        "commercial_associate": 0.0,
        "pensioner": -0.25,
        "state_servant": -0.3,
        "unemployed": 1.2,
        "student": 0.3,
        "businessman": -0.4,
        "maternity_leave": 0.9,
    }
    family = {"married": -0.1, "single": 0.2, "civil_marriage": 0.15, "separated": 0.1, "widow": -0.05}
    return np.asarray(
        -0.8 * quality
        + 0.35 * np.log(frame["amt_credit"] / frame["amt_income_total"])
        + 1.5 * (frame["amt_annuity"] / frame["amt_income_total"])
        + 1.2 * (frame["amt_credit"] / np.maximum(frame["amt_goods_price"], 1) - 1.1)
        - 0.025 * (frame["age_years"] - 43)
        - 0.06 * np.minimum(frame["years_employed"], 20)
        + 0.3 * (frame["region_rating"] - 2)
        + 0.08 * frame["cnt_children"]
        - 0.2 * frame["own_car"]
        - 0.2 * (frame["contract_type"] == "revolving_loans")
        + frame["education"].map(education)
        + frame["income_type"].map(income_type)
        + frame["family_status"].map(family),
        dtype=np.float64,
    )


def _intercept(logit: Floats, rate: float) -> float:
    """The intercept that makes the mean default probability equal `rate` (bisection, deterministic)."""
    low, high = -20.0, 20.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if _sigmoid(logit + mid).mean() < rate else (low, mid)
    return (low + high) / 2


def synthetic_applications(n: int, seed: int) -> pd.DataFrame:
    """n applicants with every feature of the schema (schema dtypes) and a 0/1 `label` (int8)."""
    rng = np.random.default_rng(seed)
    people = _people(rng, n)
    contract = _categorical(rng, "contract_type", {"cash_loans": 0.905, "revolving_loans": 0.095}, n)
    goods = np.round(rng.lognormal(np.log(450_000), 0.6, n) / 1000) * 1000 + 1000
    credit = np.round(goods * np.where(contract == "cash_loans", rng.uniform(1.0, 1.3, n), 1.0), 2)
    annuity = np.round(credit * np.where(contract == "cash_loans", rng.uniform(0.03, 0.1, n), 0.05), 2)
    partner = np.isin(people.family_status, ["married", "civil_marriage"])
    frame = pd.DataFrame(
        {
            "contract_type": contract,
            "amt_income_total": _income(rng, people),
            "amt_credit": credit,
            "amt_annuity": annuity,
            "amt_goods_price": goods,
            "age_years": np.round(people.age, 2),
            "years_employed": np.round(people.years_employed, 2),
            "cnt_children": people.children,
            "cnt_fam_members": 1 + partner.astype(np.int64) + people.children,
            "own_car": rng.random(n) < 0.34,
            "own_realty": rng.random(n) < 0.69,
            "region_rating": rng.choice([1, 2, 3], size=n, p=[0.10, 0.74, 0.16]),
            "ext_source_1": _ext_source(rng, people, 0.9, 0.9),
            "ext_source_2": _ext_source(rng, people, 1.2, 0.6),
            "ext_source_3": _ext_source(rng, people, 1.0, 0.7),
            "family_status": people.family_status,
            "education": people.education,
            "income_type": people.income_type,
        }
    )
    frame = frame.astype({f.name: f.dtype for f in FEATURES})[list(NAMES)]
    logit = _default_logit(frame, people.quality)
    frame[LABEL] = (rng.random(n) < _sigmoid(logit + _intercept(logit, DEFAULT_RATE))).astype(np.int8)
    return frame


def _ext_source(rng: np.random.Generator, people: _People, weight: float, noise: float) -> Floats:
    """A normalised external score: a noisy, age-tinted reading of the latent quality, in [0, 1]."""
    signal = weight * people.quality + 0.015 * (people.age - 43) + rng.normal(0, noise, len(people.age))
    return np.asarray(np.round(np.clip(_sigmoid(signal), 0, 1), 6), dtype=np.float64)

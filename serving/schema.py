"""The scoring API's request and response bodies. `Applicant` is the one definition of the model's features:
the training data, the feature schema in the artifact and the prediction log's columns all derive from it.

Field names follow Home Credit's application table (AMT_CREDIT → amt_credit); ages and durations are in
years rather than negative days. Validation is strict (no "12" for 12, no "yes" for true, no NaN), so a bad
payload is a 422 naming the field, never a 5xx.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from conventions.artifact_format import ACCEPTED, REJECTED, FeatureSpec

MAX_BATCH = 1000
"""Most applicants in one POST /predict/batch."""

ContractType = Literal["cash_loans", "revolving_loans"]
FamilyStatus = Literal["married", "single", "civil_marriage", "separated", "widow"]
Education = Literal["lower_secondary", "secondary", "incomplete_higher", "higher", "academic_degree"]
IncomeType = Literal[
    "working",
    "commercial_associate",
    "pensioner",
    "state_servant",
    "unemployed",
    "student",
    "businessman",
    "maternity_leave",
]
Decision = Literal["accepted", "rejected"]

CORRELATION_ID_HEADER = "X-Request-ID"
CORRELATION_ID_MAX_LENGTH = 128
CORRELATION_ID_CHARACTERS = "A-Za-z0-9._:-"
CORRELATION_ID_PATTERN = f"^[{CORRELATION_ID_CHARACTERS}]+$"
CORRELATION_ID_RULE = f"1 to {CORRELATION_ID_MAX_LENGTH} characters from {CORRELATION_ID_CHARACTERS}"
"""What a caller's X-Request-ID may be: short and plain enough to store, log and quote back safely."""


def _integral(value: object) -> object:
    """JSON Schema's integer includes 2.0, so a float with no fractional part is that integer. 1.5 and NaN
    get their own message here; strings and booleans are left to strict validation, which refuses them."""
    if not isinstance(value, float):
        return value
    if not math.isfinite(value):
        raise PydanticCustomError("finite_number", "Input should be a finite number")
    if not value.is_integer():
        raise PydanticCustomError(
            "int_from_float", "Input should be a whole number, got {value}", {"value": value}
        )
    return int(value)


Count = Annotated[int, BeforeValidator(_integral)]
"""An integer field: 3 or 3.0, not 3.5, "3" or true."""


class Applicant(BaseModel):
    """One credit application, as the model sees it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    contract_type: ContractType = Field(description="Cash loan or revolving credit (NAME_CONTRACT_TYPE).")
    amt_income_total: float = Field(gt=0, le=1e8, description="Yearly income (AMT_INCOME_TOTAL).")
    amt_credit: float = Field(gt=0, le=1e8, description="Credit amount requested (AMT_CREDIT).")
    amt_annuity: float = Field(gt=0, le=1e7, description="Yearly loan annuity (AMT_ANNUITY).")
    amt_goods_price: float = Field(ge=0, le=1e8, description="Price of the goods financed (AMT_GOODS_PRICE).")
    age_years: float = Field(ge=18, le=100, description="Age in years (-DAYS_BIRTH / 365).")
    years_employed: float = Field(ge=0, le=60, description="Years in the current job (-DAYS_EMPLOYED / 365).")
    cnt_children: Count = Field(ge=0, le=20, description="Number of children (CNT_CHILDREN).")
    cnt_fam_members: Count = Field(ge=1, le=25, description="Family size (CNT_FAM_MEMBERS).")
    own_car: bool = Field(description="Owns a car (FLAG_OWN_CAR).")
    own_realty: bool = Field(description="Owns a house or flat (FLAG_OWN_REALTY).")
    region_rating: Count = Field(
        ge=1, le=3, description="Home Credit's rating of the region, 1 best (REGION_RATING_CLIENT)."
    )
    ext_source_1: float = Field(ge=0, le=1, description="External credit score 1, normalised (EXT_SOURCE_1).")
    ext_source_2: float = Field(ge=0, le=1, description="External credit score 2, normalised (EXT_SOURCE_2).")
    ext_source_3: float = Field(ge=0, le=1, description="External credit score 3, normalised (EXT_SOURCE_3).")
    family_status: FamilyStatus = Field(description="Family status (NAME_FAMILY_STATUS).")
    education: Education = Field(description="Highest education (NAME_EDUCATION_TYPE).")
    income_type: IncomeType = Field(description="Source of income (NAME_INCOME_TYPE).")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    applicants: list[Applicant] = Field(min_length=1, max_length=MAX_BATCH)


class Prediction(BaseModel):
    request_id: str = Field(
        description="The service's id of this prediction, one per applicant: quote it when sending the true "
        "label later (`vigie model labels`)."
    )
    correlation_id: str | None = Field(
        description=f"The caller's {CORRELATION_ID_HEADER} header, stored with the prediction for the caller's "
        "tracing; never the key labels join on. Through Serve's proxy, Serve's own request id when the caller "
        "sent none; otherwise null."
    )
    probability_of_default: float = Field(ge=0, le=1)
    decision: Decision = Field(description=f"{ACCEPTED!r} when the score is below θ*, else {REJECTED!r}.")
    model_version: str


class BatchPredictions(BaseModel):
    predictions: list[Prediction]


class ModelInfo(BaseModel):
    model_version: str = Field(description="The version this service reports (and exports in its metrics).")
    artifact_version: str = Field(description="The version recorded in the loaded artifact.")
    threshold: float = Field(description="θ*: applications scoring at or above it are rejected.")
    features: list[FeatureSpec]


class Status(BaseModel):
    status: str


class ErrorMessage(BaseModel):
    """A request refused before its fields were looked at (400, 413, 415)."""

    detail: str = Field(description="One line saying what was wrong.")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Where, e.g. ["body", "applicants", 3, "age_years"].')
    type: str = Field(description="The rule broken, e.g. missing, less_than_equal, finite_number.")
    msg: str


class FieldErrors(BaseModel):
    """A request whose body broke the schema (422): every offending field."""

    detail: list[FieldError]

"""The scoring API's request and response bodies. `Applicant` is the one definition of the model's features:
the training data, the feature schema in the artifact and the prediction log's columns all derive from it.

Field names follow Home Credit's application table (AMT_CREDIT → amt_credit); ages and durations are in
years rather than negative days. Validation is strict (no "12" for 12, no "yes" for true), so a bad payload is
a 422 naming the field, never a 5xx.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class Applicant(BaseModel):
    """One credit application, as the model sees it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    contract_type: ContractType = Field(description="Cash loan or revolving credit (NAME_CONTRACT_TYPE).")
    amt_income_total: float = Field(gt=0, le=1e8, description="Yearly income (AMT_INCOME_TOTAL).")
    amt_credit: float = Field(gt=0, le=1e8, description="Credit amount requested (AMT_CREDIT).")
    amt_annuity: float = Field(gt=0, le=1e7, description="Yearly loan annuity (AMT_ANNUITY).")
    amt_goods_price: float = Field(ge=0, le=1e8, description="Price of the goods financed (AMT_GOODS_PRICE).")
    age_years: float = Field(ge=18, le=100, description="Age in years (-DAYS_BIRTH / 365).")
    years_employed: float = Field(ge=0, le=60, description="Years in the current job (-DAYS_EMPLOYED / 365).")
    cnt_children: int = Field(ge=0, le=20, description="Number of children (CNT_CHILDREN).")
    cnt_fam_members: int = Field(ge=1, le=25, description="Family size (CNT_FAM_MEMBERS).")
    own_car: bool = Field(description="Owns a car (FLAG_OWN_CAR).")
    own_realty: bool = Field(description="Owns a house or flat (FLAG_OWN_REALTY).")
    region_rating: int = Field(
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
    request_id: str = Field(description="Quote it when sending the true label later.")
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

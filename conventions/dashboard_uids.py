"""Stable dashboard uids: alerts link to them and dashboards link to each other."""

OPERATIONS = "vigie-operations"
MODEL_BUSINESS = "vigie-model-business"
DRIFT = "vigie-drift"

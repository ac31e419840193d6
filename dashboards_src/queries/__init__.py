"""PromQL for the dashboards, by topic, kept apart from layout; names come only from the metric contract."""

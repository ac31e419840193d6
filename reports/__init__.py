"""The weekly business report: figures from Prometheus, an HTML e-mail with charts and a CSV, sent over SMTP."""

"""The Evidently drift job: the model's reference against the last window of the prediction log, as reports
under an output URI and metrics on the Pushgateway (names from conventions.contract)."""

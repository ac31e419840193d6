"""Code that Airflow runs: the drift DAG. It imports no Vigie module (the import contract holds it to that), since
Vigie is not installed where Airflow parses and runs DAG files."""

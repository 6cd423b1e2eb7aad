"""`make demo`: sandbox -> Meltano (tap-calendly -> target-calendly-duckdb -> dbt) -> report.

Run it with ``python -m tap_calendly.demo`` (the Makefile installs Meltano and its
plugins first). It needs no Calendly account: a local sandbox stands in for the API.
"""

"""tap-calendly: a Singer tap for Calendly API v2, a DuckDB loader and a local sandbox."""

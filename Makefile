# Two entry points for a fresh machine: `make demo` and `make test`. Each bootstraps .venv itself.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Meltano lives in its own venv (it does not co-install with singer-sdk 0.54); it installs
# each plugin into .meltano/<type>/<name>/venv. Stamps keep both steps cached.
MELTANO_VERSION ?= 4.4.1
MELTANO_VENV := .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano
MELTANO_STAMP := $(MELTANO_VENV)/.installed-$(MELTANO_VERSION)
PLUGINS_STAMP := .meltano/.plugins-installed

.PHONY: install lint typecheck unit test demo meltano-install analytics bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(MELTANO_STAMP):
	test -x $(MELTANO_VENV)/bin/python || $(PY) -m venv $(MELTANO_VENV)
	$(MELTANO_VENV)/bin/python -m pip install -q 'meltano==$(MELTANO_VERSION)'
	touch $(MELTANO_STAMP)

# Plugins: editable installs of this checkout (pip_url: -e .), PyPI target-jsonl and
# meltanolabs-target-postgres, and dbt (dbt-duckdb, dbt-postgres utilities), each in its own
# venv; reinstall only when the plugin definitions or the package's dependencies change.
$(PLUGINS_STAMP): $(MELTANO_STAMP) meltano.yml pyproject.toml
	MELTANO_SEND_ANONYMOUS_USAGE_STATS=false MELTANO_CLI_DISABLE_VERSION_CHECK=true \
		$(MELTANO) --log-level warning install
	touch $(PLUGINS_STAMP)

meltano-install: $(PLUGINS_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check tap_calendly tests bench
	$(BIN)/ruff format --check tap_calendly tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q

# The Meltano end-to-end tests need Meltano and its plugins (dbt included); install them
# (cached) first. The PostgreSQL tests start their own server (initdb/pg_ctl must exist).
test: lint typecheck meltano-install unit

# Sandbox -> Meltano (full, advance a day, incremental + dbt build) -> calendly_dev.duckdb -> report.
demo: $(STAMP) meltano-install
	$(BIN)/python -m tap_calendly.demo

# Build the dbt models (and run their tests) in calendly_dev.duckdb; the demo does this itself.
analytics: meltano-install
	MELTANO_SEND_ANONYMOUS_USAGE_STATS=false MELTANO_CLI_DISABLE_VERSION_CHECK=true \
		$(MELTANO) --environment dev run dbt-duckdb:build

clean:
	rm -rf $(VENV) $(MELTANO_VENV) .meltano .mypy_cache .ruff_cache .pytest_cache output transform/target transform/logs calendly_dev.duckdb calendly_dev.duckdb.wal

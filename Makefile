# Set-up needs Python >= 3.11, make and npm: uv is bootstrapped into .tools from PyPI, the
# locked environment (uv.lock) is synced into .venv, and the files GX Data Docs would load from
# CDNs are installed from the npm registry (vendor/datadocs/package-lock.json).
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced-stamp
ASSETS := vendor/datadocs/node_modules/.installed-stamp
BUILD := build
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# Use the platform certificate store (it carries any site CA, e.g. behind a TLS proxy).
export UV_SYSTEM_CERTS := 1

.PHONY: env demo demo-ui test lint format bench-extract bench-startup bench-transform bench-emulator bench-load bench-scale clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Byte-compiled at install: with PYTHONDONTWRITEBYTECODE set (as on CI), every command would
# otherwise compile its imports again at each start (notesmig extract: 0.6 s instead of 0.2 s).
$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --all-extras --frozen --compile-bytecode
	$(VENV)/bin/python -m compileall -q src
	touch $@

$(ASSETS): vendor/datadocs/package.json vendor/datadocs/package-lock.json
	cd vendor/datadocs && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

env: $(STAMP) $(ASSETS)

DEMO := $(abspath $(BUILD)/demo)
DEMO_PORT ?= 8765
DEMO_UI_PORT ?= 8080
DEMO_ENV := AIRFLOW_HOME=$(DEMO)/airflow AIRFLOW__CORE__LOAD_EXAMPLES=False \
	AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags AIRFLOW__CORE__PLUGINS_FOLDER=$(CURDIR)/plugins \
	AIRFLOW__LOGGING__BASE_LOG_FOLDER=$(DEMO)/airflow/logs \
	NOTESMIG_DROP_FOLDER=$(DEMO)/sample NOTESMIG_MAPPINGS=$(DEMO)/mappings NOTESMIG_WORK=$(DEMO)/stages \
	NOTESMIG_DB_URL=sqlite:///$(DEMO)/ledger.sqlite3 NOTESMIG_GRAPH_URL=http://127.0.0.1:$(DEMO_PORT)/v1.0

# The whole migration on the bundled sample: Notes DXL -> SharePoint (the local emulator),
# through the Airflow DAG, on the embedded defaults (SQLite everywhere, no services needed).
demo: env
	rm -rf $(DEMO)
	$(BIN)/notesmig sample --out $(DEMO)/sample
	$(BIN)/notesmig inspect $(DEMO)/sample
	$(BIN)/notesmig map suggest $(DEMO)/sample --out $(DEMO)/mappings
	cp $(DEMO)/sample/users.csv $(DEMO)/sample/groups.csv $(DEMO)/mappings/
	sed -i -e 's|^  # file: users.csv|  file: users.csv  #|' \
		-e 's|^  # groups: groups.csv|  groups: groups.csv  #|' $(DEMO)/mappings/*.yaml
	sed -i 's|^readers: hold|readers: restrict|' $(DEMO)/mappings/shutcho.yaml $(DEMO)/mappings/genmen.yaml
	$(DEMO_ENV) $(BIN)/airflow db migrate > $(DEMO)/airflow-db.log 2>&1
	$(DEMO_ENV) $(BIN)/airflow pools set sharepoint_graph 4 "Graph calls to one tenant" > /dev/null
	$(BIN)/notesmig emulator serve --port $(DEMO_PORT) --data $(DEMO)/emulator \
		--users $(DEMO)/sample/users.csv --groups $(DEMO)/sample/entra-groups.csv > $(DEMO)/emulator.log 2>&1 & echo $$! > $(DEMO)/emulator.pid
	sleep 2
	$(DEMO_ENV) $(BIN)/airflow dags test notes_discovery > $(DEMO)/discovery-run.log 2>&1 \
		|| (kill `cat $(DEMO)/emulator.pid`; tail -30 $(DEMO)/discovery-run.log; exit 1)
	$(DEMO_ENV) $(BIN)/airflow dags test notes_migration --conf '{"wave": "demo"}' > $(DEMO)/dag-run.log 2>&1 \
		|| (kill `cat $(DEMO)/emulator.pid`; tail -30 $(DEMO)/dag-run.log; exit 1)
	kill `cat $(DEMO)/emulator.pid`
	@grep -o "DagRun Finished: dag_id=notes_migration.*state=[a-z]*" $(DEMO)/dag-run.log | sed 's/,.*state=/: /'
	$(BIN)/notesmig status --db-url sqlite:///$(DEMO)/ledger.sqlite3
	@echo "Where to look:"
	@echo "  ledger (every document's state):   $(DEMO)/ledger.sqlite3  (notesmig status --db-url sqlite:///$(DEMO)/ledger.sqlite3)"
	@echo "  SharePoint emulator data:          $(DEMO)/emulator  (notesmig emulator serve --data $(DEMO)/emulator)"
	@echo "  validation report (auditors):      $(DEMO)/stages/report/index.html  (English: $(DEMO)/stages/report/en/index.html)"
	@echo "  not verified, as CSV:              $(DEMO)/stages/report/exceptions.csv"
	@echo "  GX Data Docs per database:         $(DEMO)/stages/*/validation/data-docs/index.html"
	@echo "  held back and why:                 $(DEMO)/stages/*/transformed/quarantine.jsonl"
	@echo "  mappings (drafts to review):       $(DEMO)/mappings"
	@echo "  Airflow run log and task logs:     $(DEMO)/dag-run.log, $(DEMO)/airflow/logs"
	@echo "  inventory (notes_discovery):       $(DEMO)/stages/inventory/index.html"
	@echo "  Notes links not in SharePoint go to: notesmig serve-links --db-url sqlite:///$(DEMO)/ledger.sqlite3"
	@echo "Airflow UI on these results (trigger form, Migration view under 閲覧 / Browse > Notes 移行):"
	@echo "  make demo-ui   then http://localhost:$(DEMO_UI_PORT), user admin, password in"
	@echo "  $(DEMO)/airflow/simple_auth_manager_passwords.json.generated"

# The Airflow UI (airflow standalone) on the demo's results, with the emulator, until Ctrl-C.
demo-ui: env
	@test -d $(DEMO)/airflow || (echo "make demo first"; exit 1)
	$(BIN)/notesmig emulator serve --port $(DEMO_PORT) --data $(DEMO)/emulator \
		--users $(DEMO)/sample/users.csv --groups $(DEMO)/sample/entra-groups.csv > $(DEMO)/emulator.log 2>&1 & \
		trap "kill $$!" EXIT INT TERM; \
		$(DEMO_ENV) AIRFLOW__API__PORT=$(DEMO_UI_PORT) \
		$(BIN)/airflow standalone

test: env
	$(BIN)/pytest -n auto --durations=15

lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: env
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-extract: env
	$(BIN)/python bench/bench_extract.py

bench-startup: env
	$(BIN)/python bench/bench_startup.py

bench-transform: env
	$(BIN)/python bench/bench_transform.py

bench-emulator: env
	$(BIN)/python bench/bench_emulator.py

bench-load: env
	$(BIN)/python bench/bench_load.py

bench-scale: env
	$(BIN)/python bench/bench_scale.py

clean:
	rm -rf $(BUILD) $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache

# Set-up needs only Python >= 3.11 and make: uv is bootstrapped into .tools from PyPI, and
# the locked environment (uv.lock) is synced into .venv.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced-stamp
BUILD := build
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# Use the platform certificate store (it carries any site CA, e.g. behind a TLS proxy).
export UV_SYSTEM_CERTS := 1

.PHONY: env demo test lint format bench-extract bench-emulator clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --all-extras --frozen
	touch $@

env: $(STAMP)

DEMO := $(BUILD)/demo
demo: env
	rm -rf $(DEMO)
	$(BIN)/notesmig sample --out $(DEMO)/sample
	$(BIN)/notesmig inspect $(DEMO)/sample
	$(BIN)/notesmig extract $(DEMO)/sample --out $(DEMO)/extract
	$(BIN)/notesmig map suggest $(DEMO)/sample --out $(DEMO)/mappings
	cp $(DEMO)/sample/users.csv $(DEMO)/mappings/users.csv
	sed -i 's|^  # file: users.csv.*|  file: users.csv|' $(DEMO)/mappings/*.yaml
	$(BIN)/notesmig transform $(DEMO)/extract --mapping $(DEMO)/mappings --out $(DEMO)/transformed \
		--db-url sqlite:///$(DEMO)/ledger.sqlite3
	$(BIN)/notesmig status --db-url sqlite:///$(DEMO)/ledger.sqlite3
	@echo "Demo output in $(DEMO): extract/ (documents.jsonl, blobs/, summary.json), mappings/ (drafts to review),"
	@echo "transformed/ (items/<list>.jsonl, files.jsonl, quarantine.jsonl, summary.json), ledger.sqlite3."

test: env
	$(BIN)/pytest -n auto

lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: env
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-extract: env
	$(BIN)/python bench/bench_extract.py

bench-emulator: env
	$(BIN)/python bench/bench_emulator.py

clean:
	rm -rf $(BUILD) $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache

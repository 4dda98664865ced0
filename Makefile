# loop-live: `make run` serves the embedded default with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
BENCH_SESSIONS ?= 1000000

.PHONY: install run test test-postgres lint bench bench-smoke bench-smoke-sqlite bench-events bench-events-smoke browser clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/loop-live migrate
	$(BIN)/loop-live demo-data --if-empty
	$(BIN)/loop-live serve

test: $(STAMP)
	$(BIN)/pytest

test-postgres: $(STAMP)
	LIVE_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py --sessions $(BENCH_SESSIONS) $(BENCH_ARGS)

bench-smoke: $(STAMP)
	$(BIN)/python bench/run.py --sessions 2000 --duration 2 --rounds 1 --warmup 1 \
		--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/loop_live_bench_smoke

bench-smoke-sqlite: $(STAMP)
	$(BIN)/python bench/run.py --sessions 2000 --duration 1 --rounds 1 --warmup 1 \
		--database-url sqlite+aiosqlite:///$(CURDIR)/.bench/bench_smoke.db

bench-events: $(STAMP)
	$(BIN)/python bench/events.py

bench-events-smoke: $(STAMP)
	$(BIN)/python bench/events.py --smoke

# The board's browser test drives Debian's Chromium through Playwright (no `playwright install`).
browser:
	test -x /usr/bin/chromium || (apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends chromium)

clean:
	rm -rf $(VENV) loop-live.db loop-live.db-wal loop-live.db-shm .pytest_cache .mypy_cache .bench

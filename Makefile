# bizmall developer commands. `make test` is what CI runs (.ci/run).
.DEFAULT_GOAL := help
.PHONY: help uv sync web test unit security lint fmt dev seed settings-doc bench chaos web-lint web-types

# uv itself: the one on PATH, else the one `make uv` installs with pip.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

help:
	@echo "make test    lint, then every test (needs PostgreSQL, RabbitMQ, Redis or Docker)"
	@echo "make security  the security suite of tests/security on a local stack of its own (~4 minutes)"
	@echo "make chaos   fault injection (tests/chaos) on private servers it may break (~6 minutes)"
	@echo "make unit    the unit tests alone: no database, broker or Redis needed (seconds)"
	@echo "make lint    ruff (lint and format check), mypy, the layering contracts and web-lint (Biome, tsc, API types)"
	@echo "make fmt     format and fix what ruff can"
	@echo "make web     build the web client into web/dist (needs Node 20 and npm)"
	@echo "make web-types  regenerate the web client's API types from the services' OpenAPI"
	@echo "make dev     the whole system on localhost without Docker (Ctrl-C stops it)"
	@echo "make seed    load the demo data into the running local system"
	@echo "make bench   the benchmark suite of bench/ on a local stack of its own (~10 minutes)"

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
	  || python3 -m pip install --quiet uv \
	  || python3 -m pip install --quiet --user --break-system-packages uv

sync: uv
	$(UV) sync --frozen

# The web client's static build (web/dist), served by the gateway at `/`. Without npm
# the gateway serves the API only and the browser tests say what is missing.
web:
	@if command -v npm >/dev/null 2>&1; then cd web && npm ci --no-audit --no-fund && npm run build; \
	  else echo "npm not found: web client not built"; fi

test: lint web
	$(UV) run pytest

# Service-layer rules against fake units of work, pure domain and library tests, the
# layering checks: nothing here reaches PostgreSQL, RabbitMQ or Redis.
unit: sync
	$(UV) run pytest -q libs/servicekit/tests/unit libs/calendar/tests libs/events/tests services/*/tests/unit tests/architecture

# tests/security starts its own stack with the standard rate limits; `make test`
# leaves it out (root pyproject's --ignore), naming the folder here brings it in.
security: sync
	$(UV) run pytest tests/security -q

# tests/chaos: bursts of orders while RabbitMQ, PostgreSQL, Redis, SMTP or a process
# fails, then the books. It starts its own PostgreSQL, RabbitMQ and Redis on free ports
# (the shared ones stay untouched); `make test` leaves it out (root pyproject's --ignore).
chaos: sync
	$(UV) run pytest tests/chaos -q

lint: sync
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy libs/*/src gateway/src devrun/src testkit/src
	$(UV) run lint-imports --no-cache
	$(MAKE) web-lint

# The web client: Biome's lint rules, the type check, and its API types current with
# the services' OpenAPI schemas (web/src/api-types.ts; `make web-types` rewrites them).
web-lint: sync
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! -d web/node_modules ]; then cd web && npm ci --no-audit --no-fund && cd ..; fi; \
	  cd web && npm run lint && npm run typecheck && npm run api-types:check; \
	else echo "npm not found: web client not linted"; fi

web-types: sync
	cd web && npm run api-types

fmt: sync
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

dev: sync web
	$(UV) run python -m devrun

seed: sync
	$(UV) run python -m devrun seed

# Rewrites the settings tables of docs/configuration.md from the apps' settings classes.
settings-doc: sync
	$(UV) run python -m devrun.settings_doc --write docs/configuration.md

# The benchmark suite (bench/README.md): a local stack of its own, the ceilings beside
# it, every figure with its ceiling and target printed and saved in
# bench/results/<date>.json and .md. wrk is installed when missing and we are root
# (apt-get; the package lists refreshed first when wrk is not found in them); without
# it the single-URL load comes from an aiohttp loop. BENCH_PROFILE=1 adds py-spy
# profiles of the missed throughput targets.
bench: sync
	@command -v wrk >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] \
	  || apt-get install -y wrk >/dev/null 2>&1 \
	  || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1; } \
	  || echo "wrk not installed: using aiohttp"
	PYTHONUNBUFFERED=1 $(UV) run python -m bench

# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# They need Python 3.11 and a reachable RabbitMQ (PostgreSQL too for the tests).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PKGS   := -e shared -e services/invoicing -e services/accounting -e services/integration-worker \
          -e services/web

# Local services on this machine; override to point elsewhere. AMQP_URL is an
# administrator's: `make run` and the tests only make the services' own broker users with it.
export AMQP_URL ?= amqp://guest:guest@localhost:5672/
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install run demo test test-unit test-browser lint bench clean token

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

# The install prints only what matters. setuptools warns, once per package, that an
# editable install of `shared` sits beside a folder of that name (true of every checkout);
# pip warns once per package about an extra index of this machine's pip configuration
# that does not exist on disk. Neither is anything a newcomer can act on; errors still show.
QUIET_PIP := PYTHONWARNINGS=ignore::UserWarning $(BIN)/pip
PIP_NOISE := { grep -v "^WARNING: Location 'file://.*' is ignored: it is neither a file nor a directory" >&2 || true; }

# What runs here runs on the public development secrets unless AUTH_SECRET and
# WORKER_SERVICE_SECRET are set: say so, as every deployment must not (README, Security).
run demo token test test-unit bench test-faults: export ENVIRONMENT ?= development

$(STAMP): requirements.lock shared/pyproject.toml services/*/pyproject.toml
	@test -x $(BIN)/python || { echo "creating $(VENV) and installing the pinned requirements" >&2; $(PYTHON) -m venv $(VENV); }
	@$(QUIET_PIP) install -q --upgrade pip 2>&1 | $(PIP_NOISE)
	@PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(QUIET_PIP) install -q -r requirements.lock 2>&1 | $(PIP_NOISE)
	@$(QUIET_PIP) install -q --no-deps $(PKGS) 2>&1 | $(PIP_NOISE)
	@touch $(STAMP)

install: $(STAMP)

## Migrate and start invoicing (:8001), accounting (:8002), the worker and the web console
## (:8000); Ctrl-C stops all.
run: install
	$(BIN)/python -m deploy.local.run

## The whole flow with sample data, against running services or a stack it starts itself.
demo: install
	$(BIN)/python -m deploy.local.demo

## A development bearer token: make token CONTRACTS=78000000-7 COMPANIES=76354771-K [ROLES=operator]
token: install
	@$(BIN)/python -m tools.token --contracts "$(CONTRACTS)" --companies "$(COMPANIES)" --roles "$(ROLES)"

## The whole suite on real PostgreSQL and RabbitMQ.
test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/pytest

test-unit: install
	$(BIN)/pytest tests/unit

## The web console in headless Chromium (Debian's chromium) against the real stack; the
## screenshots of each screen go to var/screenshots/.
test-browser: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/pytest tests/browser -m browser

## ruff, mypy (pyproject.toml: strict for the domain packages) and the import contracts.
## lint-imports runs from shared/: at the top, the folder shared/ would shadow the package
## shared/shared as a namespace package and hide its imports. Its report shows on failure.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	@out=$$(cd shared && ../$(BIN)/lint-imports --no-logo --no-cache ../pyproject.toml 2>&1) \
	  && echo "lint-imports: $$(grep '^Contracts:' <<< "$$out")" || { echo "$$out"; exit 1; }

clean:
	rm -rf $(VENV) var

## The sync benchmark (issue 5): a year of one company's documents through the whole flow,
## timed, checked, next to this machine's floor. `make bench N=10000 BENCH_ARGS="--live"`;
## the PostgreSQL run goes once with one worker and once with two on the queue (WORKERS=1,2;
## `make bench WORKERS=2` for two only); needs PostgreSQL (DATABASE_URL, an admin URL) and
## RabbitMQ (AMQP_URL).
bench: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python -m bench \
	  $(if $(WORKERS),--workers $(WORKERS)) $(BENCH_ARGS)

# --- generated files and deployment checks (issue 6) ---------------------------------
.PHONY: docs rabbitmq-definitions deploy-check

## OpenAPI (docs/openapi/*.json) and AsyncAPI (docs/asyncapi.yaml) from the code.
docs: install
	$(BIN)/python -m tools.export_openapi
	$(BIN)/python -m tools.export_asyncapi

## deploy/rabbitmq/definitions.json and its ConfigMap from shared/shared/messaging/topology.py.
rabbitmq-definitions: install
	$(BIN)/python -m tools.export_rabbitmq_definitions

## What can be checked without a Docker engine or a cluster: generated files are current,
## the manifests agree with the code, and kustomize renders (when kubectl is installed).
deploy-check: install
	$(BIN)/python -m tools.export_openapi --check
	$(BIN)/python -m tools.export_asyncapi --check
	$(BIN)/python -m tools.export_rabbitmq_definitions --check
	$(BIN)/pytest tests/deploy/test_manifests.py tests/deploy/test_rabbitmq_definitions.py::test_the_committed_files_are_what_the_code_declares tests/deploy/test_docs_current.py
	@if command -v kubectl >/dev/null; then kubectl kustomize deploy/k8s >/dev/null && echo "kustomize: deploy/k8s renders"; else echo "kubectl not installed: kustomize not checked"; fi

# --- fault tests (issue 4) --------------------------------------------------------------
.PHONY: test-faults

## Kill, stop and cut off the services, RabbitMQ and PostgreSQL in the middle of syncs and
## check nothing is lost or doubled; and two workers on one queue (tests/integration/replicas:
## settings changes, lock order). Restarts this machine's RabbitMQ once (a few seconds);
## FAULT_OUTAGE_SECONDS sets how long accounting and the database stay down (default 20).
test-faults: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	FAULT_OUTAGE_SECONDS=$${FAULT_OUTAGE_SECONDS:-20} $(BIN)/pytest tests/faults \
	  tests/integration/replicas --durations=0

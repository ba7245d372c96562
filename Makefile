# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# They need Python 3.11 and a reachable RabbitMQ (PostgreSQL too for the tests).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PKGS   := -e shared -e services/invoicing -e services/accounting -e services/integration-worker

# Local services on this machine; override to point elsewhere.
export AMQP_URL ?= amqp://guest:guest@localhost:5672/
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install run demo test test-unit lint bench clean token

# What runs here runs on the public development secrets unless AUTH_SECRET and
# WORKER_SERVICE_SECRET are set: say so, as every deployment must not (README, Security).
run demo token test test-unit bench test-faults: export ENVIRONMENT ?= development

$(STAMP): requirements.lock shared/pyproject.toml services/*/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip >&2
	$(BIN)/pip install -q -r requirements.lock >&2
	$(BIN)/pip install -q --no-deps $(PKGS) >&2
	touch $(STAMP)

install: $(STAMP)

## Migrate and start invoicing (:8001), accounting (:8002) and the worker; Ctrl-C stops all.
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

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var

## The sync benchmark (issue 5): a year of one company's documents through the whole flow,
## timed, checked, next to this machine's floor. `make bench N=10000 BENCH_ARGS="--live"`;
## needs PostgreSQL (DATABASE_URL, an admin URL) and RabbitMQ (AMQP_URL).
bench: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python -m bench $(BENCH_ARGS)

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
## check nothing is lost or doubled. Restarts this machine's RabbitMQ once (a few seconds);
## FAULT_OUTAGE_SECONDS sets how long accounting and the database stay down (default 20).
test-faults: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	FAULT_OUTAGE_SECONDS=$${FAULT_OUTAGE_SECONDS:-20} $(BIN)/pytest tests/faults --durations=0

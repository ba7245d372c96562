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

.PHONY: install run demo test test-unit lint bench clean

$(STAMP): requirements.lock shared/pyproject.toml services/*/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps $(PKGS)
	touch $(STAMP)

install: $(STAMP)

## Migrate and start invoicing (:8001), accounting (:8002) and the worker; Ctrl-C stops all.
run: install
	$(BIN)/python -m deploy.local.run

## The whole flow with sample data, against running services or a stack it starts itself.
demo: install
	$(BIN)/python -m deploy.local.demo

## The whole suite on real PostgreSQL and RabbitMQ.
test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/pytest

test-unit: install
	$(BIN)/pytest tests/unit

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var

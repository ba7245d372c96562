"""Run the three services on one machine: for `make run`, `make demo` and the e2e tests."""

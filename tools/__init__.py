"""Generators of committed files (`make docs`, `make rabbitmq-definitions`)."""

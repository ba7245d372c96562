"""The console tests' fake APIs and signed-out client (defined in test_app), for every
screen's tests."""

from tests.unit.web.test_app import client, fake  # noqa: F401

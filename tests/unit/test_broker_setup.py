"""`make run` and the tests say why they cannot make the broker users, instead of failing
later on a login (deploy/local/broker.py)."""

import pytest

from deploy.local import broker
from shared.messaging import Topology


@pytest.fixture
def nothing_answers(monkeypatch):
    monkeypatch.setattr(broker, "_answers", lambda host, port: False)


def test_a_remote_broker_without_the_management_api_is_refused_with_what_to_do(
        nothing_answers):
    with pytest.raises(broker.BrokerSetupError) as refused:
        broker.provision("amqp://admin:pw@rabbitmq.example:5672/", Topology(), "dte")
    message = str(refused.value)
    assert "cannot create the broker users on rabbitmq.example" in message
    assert "rabbitmq-plugins enable rabbitmq_management" in message
    assert "RABBITMQ_MANAGEMENT_URL" in message and "remote broker" in message


def test_a_local_broker_needs_rabbitmqctl_without_the_management_api(
        nothing_answers, monkeypatch):
    monkeypatch.setattr(broker.shutil, "which", lambda name: None)
    with pytest.raises(broker.BrokerSetupError, match="rabbitmqctl is not installed here"):
        broker.provision("amqp://guest:guest@127.0.0.1:5672/", Topology(), "dte")


def test_the_management_api_is_found_beside_the_broker_with_its_credentials(monkeypatch):
    monkeypatch.setattr(broker, "_answers", lambda host, port: (host, port) == ("mq", 15672))
    assert broker.management_url("amqp://admin:p%40ss@mq:5672/") == "http://admin:p%40ss@mq:15672"
    assert broker.management_url("amqp://a:b@mq:5672/", "http://x:y@api:15672") == (
        "http://x:y@api:15672")


def test_each_service_gets_a_url_on_the_vhost_as_its_own_user():
    url = broker.url_for("amqp://guest:guest@127.0.0.1:5672/", "test.1.integration-worker",
                         "0123abcd", "test.1")
    assert url == "amqp://test.1.integration-worker:0123abcd@127.0.0.1:5672/test.1"
    assert broker.vhost_of(url) == "test.1" and broker.vhost_of("amqp://h/") == "/"

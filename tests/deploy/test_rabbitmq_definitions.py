"""deploy/rabbitmq/definitions.json is the topology the code declares.

A failure here means shared/shared/messaging/topology.py changed: run
`make rabbitmq-definitions` and commit the result.
"""

import json
import re

import aio_pika
import pytest

from deploy.rabbitmq import load_definitions
from shared.events import CONTRACTS
from shared.messaging.access import SERVICES, owner_of
from shared.messaging.topology import SUBSCRIPTIONS, Topology
from tools import export_rabbitmq_definitions as export

STALE = "{} is out of date with topology.py: run `make rabbitmq-definitions` and commit it"


def test_the_committed_files_are_what_the_code_declares():
    for path, text in export.outputs().items():
        assert path.exists() and path.read_text(encoding="utf-8") == text, (
            STALE.format(path.relative_to(export.REPO)))


def test_the_definitions_hold_the_exchange_dead_lettering_and_every_consumer_queue():
    definitions = json.loads(export.DEFINITIONS.read_text(encoding="utf-8"))
    exchanges = {e["name"]: e for e in definitions["exchanges"]}
    assert exchanges["dte.events"]["type"] == "topic" and exchanges["dte.events"]["durable"]
    assert exchanges["dte.events.dlx"]["type"] == "direct"
    queues = {q["name"]: q for q in definitions["queues"]}
    bindings = {(b["source"], b["destination"], b["routing_key"])
                for b in definitions["bindings"]}
    for consumer, event_types in SUBSCRIPTIONS.items():
        arguments = queues[consumer]["arguments"]
        assert queues[consumer]["durable"]
        assert arguments == {"x-queue-type": "quorum",
                             "x-dead-letter-exchange": "dte.events.dlx",
                             "x-dead-letter-routing-key": consumer,
                             "x-delivery-limit": Topology().delivery_limit}
        assert queues[f"{consumer}.dlq"]["arguments"]["x-queue-type"] == "quorum"
        assert ("dte.events.dlx", f"{consumer}.dlq", consumer) in bindings
        for event_type in event_types:
            assert ("dte.events", consumer, event_type) in bindings
    assert len(bindings) == len(definitions["bindings"]), "duplicate bindings"


async def test_the_services_can_start_on_a_broker_loaded_with_the_definitions(infra, topology):
    """Declare what the file says on real RabbitMQ (under this run's names), then let the
    code declare its topology over it: any difference in a queue's arguments is a
    PRECONDITION_FAILED, exactly what a service would hit on a pre-loaded cluster."""
    ours = Topology(exchange=f"{topology.exchange}.defs",
                    queue_prefix=f"{topology.queue_prefix}defs.",
                    delivery_limit=Topology().delivery_limit)
    definitions = export.build_definitions(ours)
    connection = await aio_pika.connect(infra.amqp_url)
    try:
        channel = await connection.channel()
        for e in definitions["exchanges"]:
            await channel.declare_exchange(e["name"], e["type"], durable=e["durable"],
                                           auto_delete=e["auto_delete"],
                                           arguments=e["arguments"])
        for q in definitions["queues"]:
            await channel.declare_queue(q["name"], durable=q["durable"],
                                        auto_delete=q["auto_delete"], arguments=q["arguments"])
        for b in definitions["bindings"]:
            queue = await channel.get_queue(b["destination"], ensure=True)
            await queue.bind(b["source"], routing_key=b["routing_key"])
        await ours.declare_all(channel)  # raises on any mismatch

        # And an event of each subscribed type reaches its consumer's queue.
        exchange = await channel.get_exchange(ours.exchange)
        for event_type in {t for types in SUBSCRIPTIONS.values() for t in types}:
            await exchange.publish(aio_pika.Message(b"{}"), routing_key=event_type)
        for consumer, event_types in SUBSCRIPTIONS.items():
            queue = await channel.get_queue(ours.queue_name(consumer))
            received = 0
            while await queue.get(no_ack=True, fail=False, timeout=5):
                received += 1
            assert received == len(set(event_types)), consumer
    finally:
        channel = await connection.channel()
        for consumer in SUBSCRIPTIONS:
            await channel.queue_delete(ours.queue_name(consumer))
            await channel.queue_delete(ours.dead_letter_queue_name(consumer))
        await channel.exchange_delete(ours.exchange)
        await channel.exchange_delete(ours.dead_letter_exchange)
        await connection.close()


def test_every_service_has_a_user_limited_to_its_queues_and_its_routing_keys():
    definitions = json.loads(export.DEFINITIONS.read_text(encoding="utf-8"))
    assert {u["name"] for u in definitions["users"]} == set(SERVICES)
    assert all("password" not in u and "password_hash" not in u for u in definitions["users"])
    rights = {p["user"]: p for p in definitions["permissions"]}
    topics = {p["user"]: p for p in definitions["topic_permissions"]}
    for service in SERVICES:
        own = re.compile(rights[service]["configure"])
        assert own.match(service) and own.match(f"{service}.dlq")
        assert not any(own.match(other) for other in SERVICES if other != service)
        assert not re.match(rights[service]["configure"], "dte.events")
        assert topics[service]["exchange"] == "dte.events"
        for event_type in CONTRACTS:
            may = bool(re.match(topics[service]["write"], event_type))
            assert may == (owner_of(event_type) == service), (service, event_type)
    assert not re.match(rights["integration-worker"]["write"], "dte.events")


def test_the_loader_takes_each_password_from_its_services_url_and_refuses_to_clear_one():
    definitions = export.build_definitions()
    env = {load_definitions.url_variable(s): f"amqp://{s}:pw-{s}@rabbitmq:5672/dte"
           for s in SERVICES}
    passwords = load_definitions.passwords_from_environment(definitions, env)
    filled = load_definitions.with_passwords(definitions, passwords)
    assert {u["name"]: u["password"] for u in filled["users"]} == {
        s: f"pw-{s}" for s in SERVICES}
    with pytest.raises(load_definitions.DefinitionsError, match="ACCOUNTING_AMQP_URL"):
        load_definitions.passwords_from_environment(
            definitions, {k: v for k, v in env.items() if "ACCOUNTING" not in k})
    with pytest.raises(load_definitions.DefinitionsError, match="must log in as 'invoicing'"):
        load_definitions.passwords_from_environment(
            definitions, {**env, "INVOICING_AMQP_URL": "amqp://accounting:x@rabbitmq/dte"})
    with pytest.raises(load_definitions.DefinitionsError, match="no password"):
        load_definitions.with_passwords(definitions, {})

"""Fixtures of the messaging tests, on the run's real RabbitMQ."""

import uuid

import aio_pika
import pytest


@pytest.fixture
async def channel(infra):
    connection = await aio_pika.connect(infra.amqp_url)
    yield await connection.channel()
    await connection.close()


@pytest.fixture
async def consumer_name(topology, channel):
    """A consumer of its own (its queue and dead-letter queue are deleted afterwards), so
    the run's other queues bound to the same event type never see the test's messages."""
    name = f"probe-{uuid.uuid4().hex[:8]}"
    yield name
    await channel.queue_delete(topology.queue_name(name))
    await channel.queue_delete(topology.dead_letter_queue_name(name))

"""Who may do what on the broker (DESIGN.md §12).

Each service connects as a RabbitMQ user of its own. The broker lets it publish only its
own routing keys (topic permissions on the event exchange) and checks the AMQP
``user_id`` it stamps on every message against the user it logged in as. Consumers then
accept an event type only from the user of the service that owns it (``EVENT_OWNERS``):
a message published with another service's credentials, or through a path that skips the
topic permissions (the default exchange, the dead-letter exchange), is dead-lettered.

``permissions`` is the single description of each user's rights; the RabbitMQ
definitions (tools/export_rabbitmq_definitions.py), ``make run`` and the tests are
generated from it.
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from shared.messaging.topology import SUBSCRIPTIONS, Topology

# The one table of ownership: an event type's prefix → the service that publishes it.
EVENT_OWNERS: dict[str, str] = {
    "invoicing.": "invoicing",
    "accounting.": "accounting",
}
# Every service that connects to the broker; the worker publishes nothing.
SERVICES = ("invoicing", "accounting", "integration-worker")
# The default exchange, as RabbitMQ names it for permissions: replaying a dead letter
# publishes to the consumer's own queue through it.
DEFAULT_EXCHANGE = "amq.default"


def owner_of(event_type: str) -> str | None:
    """The service that publishes ``event_type``, or None when nobody of ours does."""
    for prefix, service in EVENT_OWNERS.items():
        if event_type.startswith(prefix):
            return service
    return None


def login_of(amqp_url: str) -> str:
    """The user an AMQP URL logs in as (aio-pika's default, guest, when it names none)."""
    user = urlsplit(amqp_url).username
    return unquote(user) if user else "guest"


@dataclass(frozen=True)
class Permissions:
    """A user's rights in the vhost: regular expressions over resource names, and over
    routing keys on the event exchange (topic permissions)."""

    user: str
    configure: str
    write: str
    read: str
    topic_write: str
    topic_read: str


def _exactly(names: list[str]) -> str:
    return "^(" + "|".join(re.escape(n) for n in names) + ")$" if names else "^$"


def permissions(topology: Topology, service: str) -> Permissions:
    """What ``service`` needs and nothing more.

    configure: its own queue and dead-letter queue (it declares them); the exchanges are
    the operator's (loaded with the definitions), declared passively, so no service can
    delete them. write: its queues (bindings), the dead-letter exchange (its dead letters
    carry their reason), the default exchange (replaying a dead letter to its own queue)
    and, for a publisher, the event exchange. read: its queues and the exchanges it binds
    from. On the event exchange it may publish only its own prefix and bind only the
    event types it subscribes to.
    """
    queues = [topology.queue_name(service), topology.dead_letter_queue_name(service)]
    prefixes = [p for p, owner in EVENT_OWNERS.items() if owner == service]
    exchanges = [topology.dead_letter_exchange, DEFAULT_EXCHANGE]
    if prefixes:
        exchanges.append(topology.exchange)
    topic_write = ("^(" + "|".join(re.escape(p) for p in prefixes) + ")"
                   if prefixes else "^$")
    return Permissions(
        user=topology.user_name(service),
        configure=_exactly(queues),
        write=_exactly(queues + exchanges),
        read=_exactly(queues + [topology.exchange, topology.dead_letter_exchange]),
        topic_write=topic_write,
        topic_read=_exactly(SUBSCRIPTIONS.get(service, [])),
    )

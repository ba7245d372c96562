"""The accounting consumer: integration requests, sync manifests and completions from
invoicing."""

from accounting.config import Settings
from accounting.service_layer.handlers import handle_events
from accounting.service_layer.unit_of_work import Services
from shared.events import SyncCompleted, SyncRefused
from shared.messaging import SUBSCRIPTIONS, Consumer, Delivery

# A batch also ends at this many bytes of messages: a sync's manifest pages (~50 kB each)
# then make batches of a few dozen, bounding the memory and the transaction of each.
BATCH_BYTES = 2 * 1024 * 1024
# The events after which a session may no longer be delivering (the rest cannot move it).
MOVES_ON = {SyncCompleted.event_type, SyncRefused.event_type}


def build_consumer(settings: Settings, services: Services) -> Consumer:
    async def handler(deliveries: list[Delivery]) -> None:
        # One transaction per batch; if it fails the consumer retries one by one, and
        # the inbox claims of what already committed make those retries no-ops.
        events = [d.event for d in deliveries]
        await handle_events(services.uow, events)
        # A completion or a refusal moves its session on: whoever waits on it looks.
        services.moves.ring(str(e.data["sync_id"]) for e in events
                            if e.type in MOVES_ON and isinstance(e.data, dict))

    return Consumer(settings.amqp_url, settings.topology, settings.consumer_name,
                    SUBSCRIPTIONS[settings.consumer_name], handler,
                    batch_size=settings.consumer_batch_size, batch_bytes=BATCH_BYTES)

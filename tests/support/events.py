"""Events as a consumer receives them, for tests that call a service's handle_event."""

from shared.events import CloudEvent, Contract


def incoming(payload: Contract, event_id: str | None = None) -> CloudEvent:
    """``payload`` in an envelope, with ``event_id`` when the test needs to choose it (the
    same id twice is a redelivery)."""
    event = CloudEvent.wrap(payload)
    return event if event_id is None else event.model_copy(update={"id": event_id})

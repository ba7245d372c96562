"""Accounting's events, off the broker and into the service layer."""

from invoicing.service_layer.event_handlers import SYNC_PAGE_SIZE, handle_event
from invoicing.service_layer.unit_of_work import UnitOfWorkFactory
from shared.messaging import Delivery


def make_handler(uow: UnitOfWorkFactory, *, sync_page_size: int = SYNC_PAGE_SIZE):
    async def handle(deliveries: list[Delivery]) -> None:
        # One transaction per event (a sync request: one per page): a failure leaves the
        # earlier ones done, and their inbox claims make the consumer's one-by-one retry
        # skip them; a sync request retried goes on after its last committed page.
        for delivery in deliveries:
            await handle_event(uow, delivery.event, sync_page_size=sync_page_size)

    return handle

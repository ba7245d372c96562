"""Operators' view of a consumer's dead letters: list them with their reason, replay one.

``dead_letters_router(dead_letters, dependencies=[...])``: pass the operator-role
dependency in ``dependencies`` to protect the routes.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from aiormq.exceptions import AMQPError
from fastapi import APIRouter, Path, Query, status
from fastapi.params import Depends
from pydantic import BaseModel, Field

from shared.errors import NotFound
from shared.http.problems import PROBLEM_RESPONSES, Problem
from shared.messaging.dead_letters import DeadLetter, DeadLetters
from shared.text import Text

MAX_LIST = 100


class DeadLetterOut(BaseModel):
    message_id: str | None = Field(examples=["0b5f3c1e-8a0e-4a57-9d0a-6d9f1f3b2c11"])
    event_type: str | None = Field(examples=["invoicing.invoice.synced.v1"])
    error: str = Field(description="why it was dead-lettered: the validation error or the "
                                   "handler's exception",
                       examples=["ValidationError: 1 validation error for InvoiceSynced…"])
    consumer: str = Field(examples=["integration-worker"])
    original_routing_key: str | None = None
    dead_lettered_at: datetime | None = None
    body: Any = Field(description="the message body: parsed JSON, or the text when it is "
                                  "not JSON")

    @classmethod
    def of(cls, letter: DeadLetter) -> "DeadLetterOut":
        return cls(message_id=letter.message_id, event_type=letter.event_type,
                   error=letter.error, consumer=letter.consumer,
                   original_routing_key=letter.original_routing_key,
                   dead_lettered_at=letter.dead_lettered_at, body=letter.body)


class DeadLetterPage(BaseModel):
    items: list[DeadLetterOut] = Field(description="oldest first")
    total: int = Field(description="messages in the dead-letter queue")
    queue: str = Field(examples=["accounting.dlq"])


class ReplayOut(BaseModel):
    message_id: str
    status: str = Field(examples=["replayed"])
    detail: str


class BrokerUnavailable(Problem):
    status = 503
    title = "Service unavailable"
    type = "/problems/unavailable"


def _unavailable(error: Exception) -> BrokerUnavailable:
    return BrokerUnavailable(f"RabbitMQ is not reachable right now ({error.__class__.__name__}); "
                             "try again shortly.")


def dead_letters_router(dead_letters: DeadLetters, *,
                        dependencies: Sequence[Depends] = ()) -> APIRouter:
    router = APIRouter(prefix="/v1/dead-letters", tags=["operations"],
                       responses=PROBLEM_RESPONSES, dependencies=list(dependencies))

    @router.get("", summary="Messages this service's consumer dead-lettered, with why")
    async def list_dead_letters(
        limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 50,
    ) -> DeadLetterPage:
        try:
            found, total = await dead_letters.list(limit)
        except (AMQPError, OSError, TimeoutError) as error:
            raise _unavailable(error) from None
        return DeadLetterPage(items=[DeadLetterOut.of(d) for d in found], total=total,
                              queue=dead_letters.queue_name)

    @router.post("/{message_id}/replay", status_code=status.HTTP_202_ACCEPTED,
                 summary="Send a dead letter back to the consumer once its cause is fixed")
    async def replay_dead_letter(
        message_id: Annotated[Text(200), Path(min_length=1)],
    ) -> ReplayOut:
        try:
            replayed = await dead_letters.replay(message_id)
        except (AMQPError, OSError, TimeoutError) as error:
            raise _unavailable(error) from None
        if not replayed:
            raise NotFound(f"no dead letter with message_id {message_id!r} in "
                           f"{dead_letters.queue_name}: list them with GET /v1/dead-letters")
        return ReplayOut(message_id=message_id, status="replayed",
                         detail="sent back to the consumer's queue; it is processed like "
                                "any other delivery")

    return router

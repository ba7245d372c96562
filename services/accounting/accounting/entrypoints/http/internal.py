"""The worker's internal API (not in the public OpenAPI)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from accounting.entrypoints.http.deps import ServicesDep
from accounting.service_layer import proposals, settings
from shared.http.problems import PROBLEM_RESPONSES
from shared.internal_api import INTERNAL_PREFIX, PostingProfile, ProposalBatch, ProposalResult
from shared.rut import Rut

router = APIRouter(prefix=INTERNAL_PREFIX, include_in_schema=False, responses=PROBLEM_RESPONSES)


async def proposal_batch(request: Request) -> ProposalBatch:
    """The batch parsed and validated in one pass by pydantic's JSON parser, rather than
    json.loads and then validation of the Python objects: the biggest request the service
    takes, a page of documents at a time. Errors answer as any invalid body does."""
    try:
        return ProposalBatch.model_validate_json(await request.body())
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


@router.get("/integrations/{company_rut}/posting-profile")
async def posting_profile(company_rut: Rut, services: ServicesDep) -> PostingProfile:
    return await settings.posting_profile(services, company_rut)


@router.post("/proposals")
async def receive_proposals(batch: Annotated[ProposalBatch, Depends(proposal_batch)],
                            services: ServicesDep) -> ProposalResult:
    return await proposals.receive(services, batch)

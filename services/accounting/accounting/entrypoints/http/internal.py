"""The worker's internal API (not in the public OpenAPI)."""

from fastapi import APIRouter

from accounting.entrypoints.http.deps import ServicesDep
from accounting.service_layer import proposals, settings
from shared.http.problems import PROBLEM_RESPONSES
from shared.internal_api import INTERNAL_PREFIX, PostingProfile, ProposalBatch, ProposalResult
from shared.rut import Rut

router = APIRouter(prefix=INTERNAL_PREFIX, include_in_schema=False, responses=PROBLEM_RESPONSES)


@router.get("/integrations/{company_rut}/posting-profile")
async def posting_profile(company_rut: Rut, services: ServicesDep) -> PostingProfile:
    return await settings.posting_profile(services, company_rut)


@router.post("/proposals")
async def receive_proposals(batch: ProposalBatch, services: ServicesDep) -> ProposalResult:
    return await proposals.receive(services, batch)

"""FastAPI dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from accounting.service_layer.unit_of_work import Services


async def get_services(request: Request) -> Services:
    # async, though it awaits nothing: FastAPI runs a plain def dependency in a worker
    # thread, a hand-off that costs every request more than the lookup does.
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]

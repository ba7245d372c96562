"""FastAPI dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from accounting.service_layer.unit_of_work import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]

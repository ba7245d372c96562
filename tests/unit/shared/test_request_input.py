"""Text types, error echo and repeated query parameters (issue 11, items 3 and 7)."""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field, ValidationError

from shared.http.problems import MAX_ERRORS, install_problem_handlers, validation_errors
from shared.http.query_params import install_single_query_parameters, repeated_parameters
from shared.text import Text, preview, text_problem


class Note(BaseModel):
    name: Text(20) = Field(min_length=1)
    reason: Text(100, multiline=True) | None = None


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x1f", "\x7f", "\t", "\n", "\r"])
def test_a_name_refuses_every_control_character(char):
    with pytest.raises(ValidationError, match="control characters"):
        Note(name=f"Andes{char}SpA")


def test_multiline_text_takes_tabs_and_line_breaks_but_not_nul():
    assert Note(name="A", reason="line one\r\n\tline two").reason == "line one\r\n\tline two"
    with pytest.raises(ValidationError, match=r"NUL \(U\+0000\) at character 3"):
        Note(name="A", reason="ab\x00")


def test_length_is_checked_before_the_characters():
    with pytest.raises(ValidationError) as error:
        Note(name="\x00" * 1_000)
    assert error.value.errors()[0]["type"] == "string_too_long"
    assert text_problem("x" * 30, 20) == "has 30 characters; at most 20 are allowed"
    assert text_problem("ok", 20) is None


def test_a_preview_is_a_short_prefix_that_says_how_long_the_value_was():
    assert preview("short") == "short"
    assert preview("x" * 1_000_000) == "x" * 40 + "… (1000000 characters)"


def test_validation_errors_cut_locations_and_messages_and_count_the_rest():
    raw = [{"loc": ("body", "k" * 10_000), "msg": "Value error, " + "m" * 10_000}] * 50
    detail, errors = validation_errors(raw)
    assert len(errors) == MAX_ERRORS
    assert len(errors[0]["field"]) < 100 and len(errors[0]["message"]) < 400
    assert detail.endswith("; and 30 more errors")


@pytest.mark.parametrize(("query", "repeated"), [
    (b"from=2024-01-01&to=2024-02-01", []),
    (b"from=2024-01-01&from=2020-01-01", ["from"]),
    (b"fr%6Fm=1&from=2&to=1&to=2&to=3", ["from", "to"]),
    (b"format=&format=csv", ["format"]),
])
def test_repeated_parameters_are_found_as_the_routes_decode_them(query, repeated):
    assert repeated_parameters(query) == repeated


async def test_the_middleware_answers_422_before_the_route_runs():
    app = FastAPI()
    install_problem_handlers(app)
    install_single_query_parameters(app)
    calls = []

    @app.get("/items")
    async def items(limit: int = 10) -> dict:
        calls.append(limit)
        return {"limit": limit}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        twice = await client.get("/items?limit=1&limit=500")
        once = await client.get("/items?limit=5")
    assert twice.status_code == 422
    assert twice.headers["content-type"] == "application/problem+json"
    assert twice.json()["errors"] == [
        {"field": "limit", "message": "'limit' is given more than once: give it once"}]
    assert once.json() == {"limit": 5} and calls == [5]

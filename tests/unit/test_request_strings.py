"""Every string a client can send either service is bounded (issue 11, item 3) and
refuses NUL and other control characters (item 7).

The bound is read from both OpenAPI documents, as the apps serve them: each path, query
and header parameter and each request body, through $refs, arrays, objects, dict keys and
values and unions. A string must have a maxLength, or be one of a fixed set (enum,
const), a date or a file upload (bounded by the import size limit).

The characters are probed on the routes themselves: every string each route's
parameters and body hold (a nested model's, a list's items, a dict's keys and values) is
validated with a NUL in it, and must be refused.
"""

import enum
import types
import typing
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pytest
from fastapi import UploadFile
from fastapi.routing import APIRoute, _IncludedRouter
from pydantic import BaseModel, TypeAdapter, ValidationError

from tools.export_openapi import DATABASE_URL, accounting_schema, invoicing_schema

SCHEMAS = {"invoicing": invoicing_schema, "accounting": accounting_schema}
BOUNDED_FORMATS = {"date", "date-time", "binary"}


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        target = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def unbounded_strings(document: dict, schema: dict, where: str,
                      seen: frozenset[str] = frozenset()) -> Iterator[str]:
    """The places under ``schema`` where a string of any length is accepted."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen = seen | {schema["$ref"]}
        schema = _resolve(document, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        for i, option in enumerate(schema.get(key, [])):
            yield from unbounded_strings(document, option, f"{where}[{key} {i}]", seen)
    types = schema.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if "string" in types:
        fixed = "enum" in schema or "const" in schema
        file = schema.get("format") in BOUNDED_FORMATS or "contentMediaType" in schema
        if not (fixed or file or "maxLength" in schema):
            yield where
    for name, prop in schema.get("properties", {}).items():
        yield from unbounded_strings(document, prop, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from unbounded_strings(document, schema["items"], f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from unbounded_strings(document, schema["additionalProperties"],
                                     f"{where}{{value}}", seen)
    if "object" in types and schema.get("additionalProperties", False) is not False:
        keys = schema.get("propertyNames", {"type": "string"})
        yield from unbounded_strings(document, {"type": "string", **keys},
                                     f"{where}{{key}}", seen)


def request_inputs(document: dict) -> Iterator[tuple[str, dict]]:
    """(where, schema) of every parameter and request body of every operation."""
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            for parameter in [*shared, *operation.get("parameters", [])]:
                parameter = _resolve(document, parameter)
                yield (f"{method.upper()} {path} {parameter['in']} {parameter['name']}",
                       parameter.get("schema", {}))
            body = _resolve(document, operation.get("requestBody", {}))
            for media_type, content in body.get("content", {}).items():
                yield f"{method.upper()} {path} body ({media_type})", content.get("schema", {})


@pytest.mark.parametrize("service", SCHEMAS)
def test_every_string_a_request_carries_has_a_maximum_length(service):
    document = SCHEMAS[service]()
    inputs = list(request_inputs(document))
    assert len(inputs) > 20  # the walk reached the operations
    unbounded = [place for where, schema in inputs
                 for place in unbounded_strings(document, schema, where)]
    assert unbounded == []


def test_the_walk_finds_what_is_unbounded():
    document = {"components": {"schemas": {"In": {"type": "object", "properties": {
        "name": {"type": "string"},
        "code": {"type": "string", "maxLength": 20},
        "kind": {"type": "string", "enum": ["a", "b"]},
        "day": {"type": "string", "format": "date"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "accounts": {"type": "object", "additionalProperties": {"type": "string",
                                                                 "maxLength": 20}},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "again": {"$ref": "#/components/schemas/In"},
    }}}}}
    found = list(unbounded_strings(document, {"$ref": "#/components/schemas/In"}, "body"))
    assert found == ["body.name", "body.tags[]", "body.accounts{key}", "body.note[anyOf 0]"]


# --- control characters ------------------------------------------------------------------


def _apps() -> dict:
    from accounting.bootstrap import build_app as accounting
    from accounting.config import Settings as AccountingSettings
    from invoicing.bootstrap import build_app as invoicing
    from invoicing.config import Settings as InvoicingSettings

    return {
        "invoicing": lambda: invoicing(InvoicingSettings(database_url=DATABASE_URL),
                                       background=False),
        "accounting": lambda: accounting(AccountingSettings(database_url=DATABASE_URL),
                                         background=False),
    }


def api_routes(routes) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif isinstance(route, _IncludedRouter):
            yield from api_routes(route.original_router.routes)


def route_inputs(route: APIRoute) -> Iterator[tuple[str, object]]:
    """(name, annotated type) of each parameter and the body of a route, dependencies'
    parameters included."""
    dependants = [route.dependant]
    while dependants:
        dependant = dependants.pop()
        dependants.extend(dependant.dependencies)
        for param in [*dependant.path_params, *dependant.query_params,
                      *dependant.header_params]:
            yield param.name, _annotated(param.field_info.annotation, param.field_info.metadata)
    if route.body_field is not None:
        info = route.body_field.field_info
        yield "body", _annotated(info.annotation, info.metadata)


def _annotated(annotation: object, metadata: list) -> object:
    return typing.Annotated[(annotation, *metadata)] if metadata else annotation


NOT_TEXT = (int, float, bool, Decimal, date, datetime, enum.Enum, UploadFile, bytes,
            type(None))


def text_leaves(tp: object, where: str, seen: set) -> Iterator[tuple[str, object]]:
    """(where, type) of every string inside ``tp``, with the constraints it carries."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        base = args[0]
        if base is str:
            yield where, tp
        else:
            yield from text_leaves(base, where, seen)
    elif tp is str:
        yield where, tp
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from text_leaves(arg, where, seen)
    elif origin is typing.Literal:
        return
    elif origin in (list, tuple, set, frozenset):
        if args:
            yield from text_leaves(args[0], f"{where}[]", seen)
    elif origin is dict:
        yield from text_leaves(args[0], f"{where}{{key}}", seen)
        yield from text_leaves(args[1], f"{where}{{value}}", seen)
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp in seen:
            return
        seen.add(tp)
        for name, field in tp.model_fields.items():
            yield from text_leaves(_annotated(field.annotation, field.metadata),
                                   f"{where}.{field.alias or name}", seen)
    elif isinstance(tp, type) and issubclass(tp, NOT_TEXT):
        return
    else:
        raise AssertionError(f"{where}: do not know how to look inside {tp!r}")


def _refuses(tp: object, value: str) -> bool:
    try:
        TypeAdapter(tp).validate_python(value)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize("service", ["invoicing", "accounting"])
def test_every_string_a_request_carries_refuses_control_characters(service):
    app = _apps()[service]()
    leaves = [(f"{sorted(route.methods)[0]} {route.path} {where}", tp)
              for route in api_routes(app.router.routes)
              for name, annotated in route_inputs(route)
              for where, tp in text_leaves(annotated, name, set())]
    assert len(leaves) > 10  # the walk reached the strings
    accepted = [where for where, tp in leaves
                if not all(_refuses(tp, f"76354771-K{c}") for c in ("\x00", "\x1b", "\x7f"))]
    assert accepted == []


def test_the_probe_finds_a_plain_string():
    class Inner(BaseModel):
        note: str

    class Body(BaseModel):
        inner: Inner
        tags: list[str] = []

    leaves = list(text_leaves(Body, "body", set()))
    assert [where for where, _ in leaves] == ["body.inner.note", "body.tags[]"]
    assert not _refuses(leaves[0][1], "a\x00")

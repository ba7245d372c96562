"""The committed OpenAPI and AsyncAPI documents are what the code produces now.

A failure here means the code changed and the docs did not: run `make docs` and commit.
"""

import json
import re

import pytest
import yaml

from shared.events import CONTRACTS
from shared.messaging.topology import SUBSCRIPTIONS
from tools import export_asyncapi, export_openapi, export_rabbitmq_definitions

STALE = "{path} is out of date with the code: run `make docs` and commit the result"

# The paths front-ends are built against (issue 2); parameter names may differ.
ISSUE_2_PATHS = {
    "invoicing": [
        ("post", "/v1/companies"),
        ("post", "/v1/companies/{rut}/documents"),
        ("get", "/v1/companies/{rut}/documents"),
        ("put", "/v1/companies/{rut}/integration"),
        ("get", "/v1/companies/{rut}/integration"),
        ("get", "/healthz"),
        ("get", "/readyz"),
    ],
    "accounting": [
        ("post", "/v1/contracts"),
        ("post", "/v1/contracts/{rut}/companies"),
        ("delete", "/v1/companies/{id}"),
        ("post", "/v1/companies/{id}/hide"),
        ("get", "/v1/companies/{id}/accounts"),
        ("post", "/v1/companies/{id}/accounts"),
        ("get", "/v1/companies/{id}/settings/invoice-integration"),
        ("put", "/v1/companies/{id}/settings/invoice-integration"),
        ("get", "/v1/contracts/{rut}/integration-requests"),
        ("post", "/v1/integration-requests/{id}/approve"),
        ("post", "/v1/integration-requests/{id}/reject"),
        ("get", "/v1/companies/{id}/integrations"),
        ("post", "/v1/companies/{id}/integrations/factura-electronica/syncs"),
        ("get", "/v1/syncs/{id}"),
        ("get", "/v1/syncs/{id}/documents"),
        ("patch", "/v1/syncs/{id}/documents/{document_id}"),
        ("post", "/v1/syncs/{id}/confirm"),
        ("get", "/v1/companies/{id}/entries"),
        ("get", "/v1/companies/{id}/reports/trial-balance"),
        ("get", "/healthz"),
        ("get", "/readyz"),
    ],
}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def openapi() -> dict[str, dict]:
    return {name: build() for name, build in export_openapi.SCHEMAS.items()}


@pytest.mark.parametrize("service", sorted(export_openapi.SCHEMAS))
def test_the_committed_openapi_is_the_apps_schema(service, openapi):
    path = export_openapi.OPENAPI_DIR / f"{service}.json"
    assert path.exists(), STALE.format(path=path.name)
    committed = json.loads(path.read_text(encoding="utf-8"))
    assert committed == openapi[service], STALE.format(path=f"docs/openapi/{service}.json")
    # Byte for byte too, so `make docs` after a clean checkout changes nothing.
    assert path.read_text(encoding="utf-8") == export_openapi.render(openapi[service])


@pytest.mark.parametrize("service", sorted(ISSUE_2_PATHS))
def test_every_path_of_the_front_end_api_is_documented(service, openapi):
    documented = {(method, _shape(path))
                  for path, operations in openapi[service]["paths"].items()
                  for method in operations}
    missing = [f"{m.upper()} {p}" for m, p in ISSUE_2_PATHS[service]
               if (m, _shape(p)) not in documented]
    assert not missing, f"{service} does not document: {missing}"


@pytest.mark.parametrize("service", sorted(ISSUE_2_PATHS))
def test_internal_paths_stay_out_of_the_public_docs(service, openapi):
    internal = [p for p in openapi[service]["paths"] if p.startswith("/internal")]
    assert not internal, f"{service} documents internal paths: {internal}"


@pytest.mark.parametrize("service", sorted(ISSUE_2_PATHS))
def test_every_operation_has_a_summary_and_a_tag(service, openapi):
    bare = [f"{method.upper()} {path}"
            for path, operations in openapi[service]["paths"].items()
            for method, operation in operations.items()
            if not operation.get("summary") or not operation.get("tags")]
    assert not bare, f"{service}: operations without a summary or tag: {bare}"


@pytest.fixture(scope="module")
def asyncapi() -> dict:
    return export_asyncapi.build_document()


def test_the_committed_asyncapi_is_the_contracts_document(asyncapi):
    path = export_asyncapi.ASYNCAPI
    assert path.exists(), STALE.format(path="docs/asyncapi.yaml")
    text = path.read_text(encoding="utf-8")
    assert yaml.safe_load(text) == asyncapi, STALE.format(path="docs/asyncapi.yaml")
    assert text == export_asyncapi.render(asyncapi)


def test_every_contract_is_a_channel_with_its_schema_and_an_example(asyncapi):
    channels = {c["address"]: c for c in asyncapi["channels"].values()}
    assert set(channels) == set(CONTRACTS)
    schemas = asyncapi["components"]["schemas"]
    messages = asyncapi["components"]["messages"]
    for event_type, model in CONTRACTS.items():
        channel = channels[event_type]
        assert channel["bindings"]["amqp"]["exchange"] == {
            "name": "dte.events", "type": "topic", "durable": True, "autoDelete": False,
            "vhost": export_rabbitmq_definitions.VHOST}
        (message,) = (messages[ref["$ref"].rsplit("/", 1)[1]]
                      for ref in channel["messages"].values())
        data_ref = message["payload"]["allOf"][1]["properties"]["data"]["$ref"]
        assert data_ref == f"#/components/schemas/{model.__name__}"
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)
        (example,) = message["examples"]
        assert example["payload"]["type"] == event_type
        model.model_validate(example["payload"]["data"])


def test_senders_and_receivers_follow_the_sources_and_subscriptions(asyncapi):
    sends, receives = set(), set()
    for operation in asyncapi["operations"].values():
        channel = operation["channel"]["$ref"].rsplit("/", 1)[1]
        address = asyncapi["channels"][channel]["address"]
        service = operation["summary"].split(" ", 1)[0]
        (sends if operation["action"] == "send" else receives).add((service, address))
    assert sends == {(model.source.strip("/"), t) for t, model in CONTRACTS.items()}
    assert receives == {(consumer, t) for consumer, types in SUBSCRIPTIONS.items()
                        for t in types}


def test_every_reference_resolves(asyncapi):
    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(asyncapi):
        node = asyncapi
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
            node = node[part]

"""Write docs/asyncapi.yaml (AsyncAPI 3.0) from the event contracts and subscriptions.

Sources of truth: shared.events.CONTRACTS (event types, `source`, pydantic payloads),
shared.messaging.topology (exchange, queues, SUBSCRIPTIONS: who consumes what). Each
example below is validated against its contract, so an example that breaks a contract,
or a contract with no example, stops the export instead of shipping a wrong document.

    python -m tools.export_asyncapi [--check]
"""

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.events import CONTRACTS, CloudEvent, Contract
from shared.messaging.topology import SUBSCRIPTIONS, Topology
from tools.export_rabbitmq_definitions import VHOST
from tools.generated import REPO, main

ASYNCAPI = REPO / "docs" / "asyncapi.yaml"
REF = "#/components/schemas/{model}"
BINDING_VERSION = "0.3.0"

# Which service emits the events of each CloudEvents `source`.
SERVICES = {"/invoicing": "invoicing", "/accounting": "accounting"}

COMPANY = {"rut": "76354771-K", "name": "Ferretería El Martillo SpA"}
CONTRACT_RUT = "78000000-7"
CUSTOMER = {"rut": "77777777-7", "name": "Comercial Los Andes SpA"}
REQUEST_ID = "0f5c2a52-6d1e-4b8e-9a57-3f0c9e7d2b11"
ACCOUNTING_COMPANY_ID = "c6b8e1f2-5a34-4d7b-8e29-1a2b3c4d5e6f"
SYNC_ID = "5b7d9e1a-2c3f-4a5b-8c6d-7e8f9a0b1c2d"
NEWER_REQUEST_ID = "6a2e4c8d-1f3b-4d5e-8a7c-9b0d1e2f3a4b"
OTHER_CONTRACT_RUT = "60805000-0"

EXAMPLES: dict[str, dict[str, Any]] = {
    "invoicing.integration.requested.v1": {
        "request_id": REQUEST_ID, "company_rut": COMPANY["rut"],
        "company_name": COMPANY["name"], "contract_rut": CONTRACT_RUT,
        "requested_at": "2026-10-31T15:04:05Z"},
    "invoicing.integration.withdrawn.v1": {
        "request_id": REQUEST_ID, "company_rut": COMPANY["rut"],
        "company_name": COMPANY["name"], "contract_rut": CONTRACT_RUT,
        "current_request_id": NEWER_REQUEST_ID, "current_contract_rut": OTHER_CONTRACT_RUT,
        "connected_request_id": None},
    "invoicing.integration.disconnected.v1": {
        "request_id": REQUEST_ID, "company_rut": COMPANY["rut"], "contract_rut": CONTRACT_RUT,
        "accounting_company_id": ACCOUNTING_COMPANY_ID,
        "connected_request_id": NEWER_REQUEST_ID},
    "invoicing.sync.refused.v1": {
        "sync_id": SYNC_ID, "company_rut": COMPANY["rut"],
        "accounting_company_id": ACCOUNTING_COMPANY_ID,
        "reason": "Invoicing company 76354771-K is not connected to accounting company "
                  f"{ACCOUNTING_COMPANY_ID}: its integration is approved for another one, so "
                  "it sends this one no documents. To keep its books here, the company must "
                  "request the integration with this contract again and it must be approved."},
    "invoicing.invoice.synced.v1": {
        "sync_id": SYNC_ID,
        "document": {
            "document_id": "9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "company_rut": COMPANY["rut"], "direction": "sales", "dte_type": 33,
            "folio": 1001, "issue_date": "2026-10-03", "issuer_rut": COMPANY["rut"],
            "counterparty": CUSTOMER, "net": 100000, "exempt": 0, "vat": 19000,
            "total": 119000, "references": []}},
    "invoicing.invoices.synced.v1": {
        "sync_id": SYNC_ID, "company_rut": COMPANY["rut"], "page": 1,
        "documents": [{
            "document_id": "9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "company_rut": COMPANY["rut"], "direction": "sales", "dte_type": 33,
            "folio": 1001, "issue_date": "2026-10-03", "issuer_rut": COMPANY["rut"],
            "counterparty": CUSTOMER, "net": 100000, "exempt": 0, "vat": 19000,
            "total": 119000, "references": []}]},
    "invoicing.sync.manifest.v1": {
        "sync_id": SYNC_ID, "company_rut": COMPANY["rut"], "page": 1,
        "documents": [
            {"document_key": f"sales:{COMPANY['rut']}:33:1001", "total": 119000,
             "issue_date": "2026-10-03"},
            {"document_key": f"purchases:{CUSTOMER['rut']}:33:5521", "total": 59500,
             "issue_date": "2026-10-04"}]},
    "invoicing.sync.completed.v1": {
        "sync_id": SYNC_ID, "company_rut": COMPANY["rut"], "document_count": 2,
        "manifest": {"lines": [
            {"month": "2026-10", "direction": "purchases", "dte_type": 33, "count": 1,
             "net": 50000, "exempt": 0, "vat": 9500, "total": 59500},
            {"month": "2026-10", "direction": "sales", "dte_type": 33, "count": 1,
             "net": 100000, "exempt": 0, "vat": 19000, "total": 119000}]},
        "manifest_pages": 1},
    "invoicing.payment.recorded.v1": {
        "payment_id": "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b", "company_rut": COMPANY["rut"],
        "kind": "collection", "counterparty": CUSTOMER, "amount": 119000,
        "paid_on": "2026-10-15", "documents": [{"dte_type": 33, "folio": 1001}]},
    "accounting.integration.approved.v1": {
        "request_id": REQUEST_ID, "company_rut": COMPANY["rut"], "contract_rut": CONTRACT_RUT,
        "accounting_company_id": ACCOUNTING_COMPANY_ID},
    "accounting.integration.rejected.v1": {
        "request_id": REQUEST_ID, "company_rut": COMPANY["rut"], "contract_rut": CONTRACT_RUT,
        "reason": "the company is not a client of this firm"},
    "accounting.integration.conflicted.v1": {
        "request_id": REQUEST_ID, "company_rut": COMPANY["rut"], "contract_rut": CONTRACT_RUT,
        "detail": "The accounting contract 78000000-7 has more than one active company with "
                  "RUT 76354771-K, so the accountant cannot tell which one keeps your books. "
                  "The accountant must delete or hide the duplicates and then approve the "
                  "request; nothing is needed from you."},
    "accounting.integration.conflict-resolved.v1": {
        "request_id": REQUEST_ID, "company_rut": COMPANY["rut"], "contract_rut": CONTRACT_RUT},
    "accounting.sync.requested.v1": {
        "sync_id": SYNC_ID, "accounting_company_id": ACCOUNTING_COMPANY_ID,
        "company_rut": COMPANY["rut"], "date_from": "2026-10-01", "date_to": "2026-10-31"},
    "accounting.settings.changed.v1": {
        "accounting_company_id": ACCOUNTING_COMPANY_ID, "company_rut": COMPANY["rut"]},
    "accounting.entry.posted.v1": {
        "entry_id": "7f8e9d0c-1b2a-4c3d-8e4f-5a6b7c8d9e0f",
        "accounting_company_id": ACCOUNTING_COMPANY_ID, "company_rut": COMPANY["rut"],
        "number": 1, "entry_date": "2026-10-03", "kind": "traspaso",
        "source_key": "sales:76354771-K:33:1001", "total": 119000},
    "accounting.entries.posted.v1": {
        "accounting_company_id": ACCOUNTING_COMPANY_ID, "company_rut": COMPANY["rut"],
        "sync_id": SYNC_ID,
        "entries": [
            {"entry_id": "7f8e9d0c-1b2a-4c3d-8e4f-5a6b7c8d9e0f", "number": 1,
             "entry_date": "2026-10-03", "kind": "traspaso",
             "source_key": "sales:76354771-K:33:1001", "total": 119000},
            {"entry_id": "8a9b0c1d-2e3f-4a5b-9c6d-7e8f9a0b1c2d", "number": 2,
             "entry_date": "2026-10-04", "kind": "traspaso",
             "source_key": "purchases:77777777-7:33:5521", "total": 59500}]},
}


# What each event means, for contracts whose class has no docstring.
SUMMARIES = {
    "invoicing.integration.requested.v1":
        "A company asked to be integrated with an accounting contract (by its holder RUT).",
    "invoicing.invoice.synced.v1":
        "A tax document (DTE) as it is recorded (sync_id null); sync sessions send pages "
        "(invoicing.invoices.synced.v1).",
    "invoicing.sync.completed.v1":
        "Invoicing has sent every document of a sync session; document_count says how many, "
        "manifest.lines their totals per month, direction and tipo DTE, and manifest_pages "
        "how many invoicing.sync.manifest.v1 pages list them one by one.",
    "invoicing.payment.recorded.v1": "A payment to a supplier or a collection from a customer.",
    "accounting.integration.approved.v1":
        "The accountant approved the request and chose the accounting company.",
    "accounting.integration.rejected.v1": "The accountant rejected the integration request.",
    "accounting.sync.requested.v1":
        "The accountant started a sync: invoicing must send every document of the range.",
    "accounting.settings.changed.v1": "A company's default integration accounts changed.",
    "accounting.entry.posted.v1": "A journal entry (comprobante) was posted.",
}


def _summary(event_type: str, model: type[Contract]) -> str:
    if model.__doc__ and model.__doc__ != Contract.__doc__:
        return " ".join(model.__doc__.split())
    if event_type not in SUMMARIES:
        raise SystemExit(f"no summary for {event_type}: give its contract a docstring or add "
                         "one to SUMMARIES in tools/export_asyncapi.py")
    return SUMMARIES[event_type]


def _key(event_type: str) -> str:
    """An id usable as a map key in every AsyncAPI tool: letters, digits, _ and -."""
    return event_type.replace(".", "_")


def _service_key(service: str) -> str:
    return service.replace("-", "_")


def _example(event_type: str, model: type[Contract]) -> dict:
    if event_type not in EXAMPLES:
        raise SystemExit(f"no example for {event_type}: add one to EXAMPLES in "
                         "tools/export_asyncapi.py")
    payload = model.model_validate(EXAMPLES[event_type])
    event = CloudEvent.wrap(payload, subject=COMPANY["rut"],
                            correlation_id="d3b07384-d9a0-4f5c-9e1b-8c2a7f6e5d40")
    event.id = "1c9f2e6a-8b4d-4e7a-9c3f-0d5e6a7b8c9d"
    event.time = event.time.replace(year=2026, month=10, day=31, hour=15, minute=4,
                                    second=5, microsecond=0)
    return event.model_dump(mode="json")


def build_document(topology: Topology | None = None) -> dict:
    topology = topology or Topology()
    models = sorted(CONTRACTS.items())
    documented: list[type[BaseModel]] = [CloudEvent, *(m for _, m in models)]
    _, top = models_json_schema(
        [(m, "serialization") for m in documented],
        ref_template=REF,
    )
    schemas = dict(sorted(top["$defs"].items()))
    consumers: dict[str, list[str]] = {}
    for consumer, bindings in SUBSCRIPTIONS.items():
        for event_type in bindings:
            consumers.setdefault(event_type, []).append(consumer)

    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    exchange = {"name": topology.exchange, "type": "topic", "durable": True,
                "autoDelete": False, "vhost": VHOST}
    for event_type, model in models:
        key = _key(event_type)
        producer = SERVICES.get(model.source)
        if producer is None:
            raise SystemExit(f"{event_type}: no service for source {model.source!r}; "
                             "add it to SERVICES in tools/export_asyncapi.py")
        listeners = consumers.get(event_type, [])
        messages[key] = {
            "name": event_type,
            "title": model.__name__,
            "summary": _summary(event_type, model),
            "contentType": "application/cloudevents+json",
            "correlationId": {"description": "follows one flow across services (also the "
                                             "AMQP correlation_id)",
                              "location": "$message.payload#/correlationid"},
            "payload": {"allOf": [
                {"$ref": REF.format(model="CloudEvent")},
                {"type": "object",
                 "required": ["specversion", "id", "source", "type", "time",
                              "datacontenttype", "data"],
                 "properties": {
                     "type": {"const": event_type},
                     "source": {"const": model.source},
                     "data": {"$ref": REF.format(model=model.__name__)}}},
            ]},
            "bindings": {"amqp": {"messageType": event_type,
                                  "bindingVersion": BINDING_VERSION}},
            "examples": [{"name": key, "summary": f"An example {event_type} event",
                          "payload": _example(event_type, model)}],
        }
        description = (f"Published by **{producer}** to the `{topology.exchange}` topic "
                       f"exchange with routing key `{event_type}` (the CloudEvents `type`); "
                       "the AMQP `message_id` is the event `id`, and the AMQP `user_id` is "
                       f"the broker user `{topology.user_name(producer)}`, which RabbitMQ "
                       "checks: consumers refuse the event from anyone else. ")
        if listeners:
            description += "Consumed by " + ", ".join(f"**{c}**" for c in listeners) + "."
        else:
            description += ("No service of this system consumes it: it is published for "
                            "partners.")
        channels[key] = {
            "address": event_type,
            "title": event_type,
            "description": description,
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"amqp": {"is": "routingKey", "exchange": exchange,
                                  "bindingVersion": BINDING_VERSION}},
        }
        channel_ref = {"$ref": f"#/channels/{key}"}
        message_ref = [{"$ref": f"#/channels/{key}/messages/{key}"}]
        operations[f"{_service_key(producer)}_sends_{key}"] = {
            "action": "send",
            "channel": channel_ref,
            "summary": f"{producer} publishes {event_type} (outbox + publisher confirms)",
            "messages": message_ref,
            "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True,
                                  "userId": topology.user_name(producer),
                                  "bindingVersion": BINDING_VERSION}},
        }
        for consumer in listeners:
            queue = topology.queue_name(consumer)
            operations[f"{_service_key(consumer)}_receives_{key}"] = {
                "action": "receive",
                "channel": channel_ref,
                "summary": f"{consumer} consumes {event_type} from its quorum queue `{queue}`",
                "description": (
                    f"Queue `{queue}` (quorum, durable) is bound to `{topology.exchange}` "
                    f"with this routing key. The consumer is idempotent (by event id) and "
                    f"acks after its transaction commits; a message still failing after "
                    f"{topology.delivery_limit} deliveries goes through "
                    f"`{topology.dead_letter_exchange}` to "
                    f"`{topology.dead_letter_queue_name(consumer)}`."),
                "messages": message_ref,
                "bindings": {"amqp": {"ack": True, "bindingVersion": BINDING_VERSION}},
            }

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "DTE invoicing ↔ accounting events",
            "version": "1.0.0",
            "description": (
                "Every event the invoicing and accounting services exchange over RabbitMQ. "
                "Each message is a CloudEvents 1.0 envelope in JSON (structured mode) whose "
                "`data` is the event's contract; `type` is both the event type and the AMQP "
                "routing key, and ends in the contract's major version. Within a version a "
                "contract only grows compatibly (new optional fields): ignore fields you do "
                "not know. Delivery is at least once: deduplicate by the envelope `id`.\n\n"
                "To receive events, bind your own durable queue to the "
                f"`{topology.exchange}` topic exchange (vhost `{VHOST}`) with the routing "
                "keys you need (wildcards work: `invoicing.#`), as a broker user of your "
                "own that may read the exchange and bind those keys (deploy/README.md, "
                "'Broker users'). Believe an event only if its AMQP `user_id` is the broker "
                "user of the service that publishes its type (each channel says which).\n\n"
                "Generated by `make docs` from `shared/shared/events.py` and "
                "`shared/shared/messaging/topology.py`; do not edit."),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "production": {
                "host": "rabbitmq:5672", "protocol": "amqp", "protocolVersion": "0-9-1",
                "pathname": f"/{VHOST}",
                "description": "the deployment's RabbitMQ (AMQP_URL); see deploy/README.md"},
            "local": {
                "host": "localhost:5672", "protocol": "amqp", "protocolVersion": "0-9-1",
                "pathname": f"/{VHOST}", "description": "`make run` or `docker compose up`"},
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render(document: dict) -> str:
    header = ("# GENERATED by `make docs` (tools/export_asyncapi.py) from the event contracts."
              " Do not edit.\n")
    return header + yaml.dump(document, Dumper=_PlainDumper, sort_keys=False,
                              allow_unicode=True, width=100)


class _PlainDumper(yaml.SafeDumper):
    """No &anchors/*aliases: some AsyncAPI tools do not follow them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def outputs() -> dict[Path, str]:
    return {ASYNCAPI: render(build_document())}


if __name__ == "__main__":
    raise SystemExit(main(outputs, what="the AsyncAPI document", make_target="docs"))

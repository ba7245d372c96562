"""Write deploy/rabbitmq/definitions.json (and its Kubernetes ConfigMap) from the code.

The single source of truth is shared/shared/messaging/topology.py: this script runs
``Topology.declare_all`` against a channel that records what it is asked to declare, so
the file holds exactly the exchanges, queues (with their arguments) and bindings the
services declare when they connect. RabbitMQ refuses a redeclaration with different
arguments (PRECONDITION_FAILED), so a hand-written file that drifted from the code would
stop the services from starting.

The file also holds the broker users, one per service, with their permissions and topic
permissions (shared/shared/messaging/access.py), but no passwords: those come from the
secrets when deploy/rabbitmq/load_definitions.py loads the file (it refuses to load a
user without one). The vhost is ``dte``; nothing in it is the guest user's.

    python -m tools.export_rabbitmq_definitions [--check]
"""

import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import yaml

from shared.messaging.access import SERVICES, permissions
from shared.messaging.topology import SUBSCRIPTIONS, Topology
from tools.generated import REPO, main

DEFINITIONS = REPO / "deploy" / "rabbitmq" / "definitions.json"
LOADER = REPO / "deploy" / "rabbitmq" / "load_definitions.py"
CONFIGMAP = REPO / "deploy" / "k8s" / "rabbitmq-definitions.yaml"
CONFIGMAP_NAME = "rabbitmq-definitions"
VHOST = "dte"


class _RecordedExchange:
    def __init__(self, name: str):
        self.name = name


class _RecordedQueue:
    def __init__(self, recorder: "RecordingChannel", name: str):
        self.vhost = recorder.vhost
        self._recorder = recorder
        self.name = name

    async def bind(self, exchange: Any, routing_key: str | None = None, *,
                   arguments: dict | None = None, **_: Any) -> None:
        source = exchange if isinstance(exchange, str) else exchange.name
        binding = {
            "source": source, "vhost": self.vhost, "destination": self.name,
            "destination_type": "queue", "routing_key": routing_key or self.name,
            "arguments": dict(arguments or {}),
        }
        if binding not in self._recorder.bindings:
            self._recorder.bindings.append(binding)


class RecordingChannel:
    """Stands in for an aio-pika channel and keeps what was declared, in order."""

    def __init__(self, vhost: str = VHOST) -> None:
        self.vhost = vhost
        self.exchanges: dict[str, dict] = {}
        self.queues: dict[str, dict] = {}
        self.bindings: list[dict] = []

    async def declare_exchange(self, name: str, type: Any = "direct", *, durable: bool = False,
                               auto_delete: bool = False, internal: bool = False,
                               arguments: dict | None = None, passive: bool = False,
                               **_: Any) -> _RecordedExchange:
        if passive:  # a service looking the exchange up: it declares nothing
            return _RecordedExchange(name)
        self.exchanges[name] = {
            "name": name, "vhost": self.vhost, "type": getattr(type, "value", type),
            "durable": durable, "auto_delete": auto_delete, "internal": internal,
            "arguments": dict(arguments or {}),
        }
        return _RecordedExchange(name)

    async def declare_queue(self, name: str, *, durable: bool = False, exclusive: bool = False,
                            auto_delete: bool = False, arguments: dict | None = None,
                            **_: Any) -> _RecordedQueue:
        if exclusive:
            raise ValueError(f"queue {name} is exclusive: it cannot be predeclared")
        self.queues[name] = {
            "name": name, "vhost": self.vhost, "durable": durable, "auto_delete": auto_delete,
            "arguments": dict(arguments or {}),
        }
        return _RecordedQueue(self, name)


def _drive(coroutine: Coroutine) -> Any:
    """Run a coroutine that never waits on I/O (the recorder answers at once), without an
    event loop, so this also works inside one (async tests)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("declaring the topology waited on something other than the recorder")


def users_and_permissions(topology: Topology, vhost: str = VHOST) -> dict:
    """One user per service (no password: the loader adds it from the secrets), its
    permissions and its topic permissions on the event exchange."""
    rights = [permissions(topology, service) for service in SERVICES]
    return {
        "users": [{"name": r.user, "tags": []} for r in rights],
        "permissions": [{"user": r.user, "vhost": vhost, "configure": r.configure,
                         "write": r.write, "read": r.read} for r in rights],
        "topic_permissions": [{"user": r.user, "vhost": vhost, "exchange": topology.exchange,
                               "write": r.topic_write, "read": r.topic_read}
                              for r in rights],
    }


def build_definitions(topology: Topology | None = None, vhost: str = VHOST) -> dict:
    topology = topology or Topology()
    channel = RecordingChannel(vhost)
    _drive(topology.declare_all(channel))  # type: ignore[arg-type]
    consumers = "|".join(topology.queue_name(c).replace(".", "\\.") for c in SUBSCRIPTIONS)
    return {
        "vhosts": [{"name": vhost}],
        **users_and_permissions(topology, vhost),
        "policies": [{
            # Spread quorum queue leaders over the cluster's nodes instead of piling them
            # on whichever node each service happened to connect to. It sets nothing the
            # code declares as a queue argument, so the two cannot disagree.
            "vhost": vhost,
            "name": f"{topology.exchange}.quorum-leaders",
            "pattern": f"^({consumers})(\\.dlq)?$",
            "apply-to": "queues",
            "priority": 0,
            "definition": {"queue-leader-locator": "balanced"},
        }],
        "exchanges": list(channel.exchanges.values()),
        "queues": list(channel.queues.values()),
        "bindings": channel.bindings,
    }


def render_definitions(definitions: dict) -> str:
    return json.dumps(definitions, indent=2, ensure_ascii=False) + "\n"


def render_configmap(definitions_json: str, loader: str) -> str:
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": CONFIGMAP_NAME,
            "labels": {"app.kubernetes.io/part-of": "dte",
                       "app.kubernetes.io/component": "rabbitmq-definitions"},
        },
        "data": {"definitions.json": definitions_json, "load_definitions.py": loader},
    }
    header = ("# GENERATED by `make rabbitmq-definitions` from shared/shared/messaging/topology.py"
              "\n# and access.py (the same content as deploy/rabbitmq/definitions.json and"
              "\n# load_definitions.py). Do not edit.\n")
    return header + yaml.dump(configmap, Dumper=_LiteralDumper, sort_keys=False,
                              allow_unicode=True, width=100)


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so the embedded JSON stays readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str)


def outputs() -> dict[Path, str]:
    text = render_definitions(build_definitions())
    loader = LOADER.read_text(encoding="utf-8")
    return {DEFINITIONS: text, CONFIGMAP: render_configmap(text, loader)}


if __name__ == "__main__":
    raise SystemExit(main(outputs, what="the RabbitMQ definitions",
                          make_target="rabbitmq-definitions"))

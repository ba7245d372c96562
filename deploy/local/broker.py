"""The broker users of `make run`, the tests and the benchmark, in a vhost of their own.

From an administrator's AMQP URL (``AMQP_URL``), this loads the same definitions as
production (tools/export_rabbitmq_definitions.py: the vhost, the topology, one user per
service with its permissions and topic permissions) for the given topology and vhost,
with fresh random passwords, and hands back each service's AMQP URL. The administrator
gets full permissions on the vhost, to look at its queues.

How it reaches the broker, in order:

1. the management API: ``RABBITMQ_MANAGEMENT_URL`` if set, else port 15672 of the
   ``AMQP_URL`` host with the ``AMQP_URL`` credentials, when that port answers;
2. ``rabbitmqctl import_definitions``, when the broker is on this machine (a loopback
   ``AMQP_URL``) and rabbitmqctl may talk to it (root, or the node's Erlang cookie).

Otherwise it fails saying so (AMQP itself cannot create users).
"""

import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from deploy.rabbitmq.load_definitions import DefinitionsError, load
from shared.messaging.access import SERVICES, login_of
from shared.messaging.topology import Topology
from tools.export_rabbitmq_definitions import build_definitions

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class BrokerSetupError(RuntimeError):
    pass


@dataclass(frozen=True)
class BrokerUsers:
    vhost: str
    urls: dict[str, str]
    """Service (or extra user) → its AMQP URL on the vhost."""


def vhost_of(amqp_url: str) -> str:
    path = urlsplit(amqp_url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def url_for(amqp_url: str, user: str, password: str, vhost: str) -> str:
    """``amqp_url``'s host and port, logging in as ``user`` on ``vhost``."""
    parts = urlsplit(amqp_url)
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, "/" + quote(vhost, safe=""), parts.query, ""))


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def management_url(admin_amqp_url: str, explicit: str | None = None) -> str | None:
    """The management API to use, or None when there is none to reach."""
    if explicit:
        return explicit
    parts = urlsplit(admin_amqp_url)
    host = parts.hostname or "localhost"
    if not _answers(host, 15672):
        return None
    user = quote(unquote(parts.username or "guest"), safe="")
    password = quote(unquote(parts.password or "guest"), safe="")
    return f"http://{user}:{password}@{host}:15672"


def _how(admin_amqp_url: str, explicit: str | None) -> str:
    """"http:<url>", "rabbitmqctl", or a BrokerSetupError saying why neither works."""
    api = management_url(admin_amqp_url, explicit)
    if api:
        return "http:" + api
    host = urlsplit(admin_amqp_url).hostname or "localhost"
    if host in LOOPBACK and shutil.which("rabbitmqctl"):
        return "rabbitmqctl"
    raise BrokerSetupError(
        f"cannot create the broker users on {host}: no management API answers on "
        f"{host}:15672 (enable it with `rabbitmq-plugins enable rabbitmq_management`, or set "
        "RABBITMQ_MANAGEMENT_URL=http://admin:password@host:15672) and rabbitmqctl "
        + ("is not installed here" if host in LOOPBACK else "cannot reach a remote broker")
        + ". AMQP_URL must be an administrator's URL; see deploy/README.md, 'Broker users'.")


def _rabbitmqctl(*args: str) -> str:
    result = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise BrokerSetupError(f"rabbitmqctl {args[0]} failed (rabbitmqctl must run as root or "
                               f"with the node's Erlang cookie): "
                               f"{(result.stderr or result.stdout).strip()[:300]}")
    return result.stdout


def _wait_for_bindings(definitions: dict, vhost: str, timeout: float = 30.0) -> None:
    """rabbitmqctl imports in the background, bindings last: wait for them."""
    wanted = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}
    deadline = time.monotonic() + timeout
    while True:
        out = _rabbitmqctl("list_bindings", "-p", vhost, "--silent",
                           "source_name", "destination_name", "routing_key")
        have = {tuple(line.split("\t")[:3]) for line in out.splitlines() if line}
        if wanted <= have:
            return
        if time.monotonic() > deadline:
            raise BrokerSetupError(f"the definitions for vhost {vhost} did not finish loading")
        time.sleep(0.3)


def provision(admin_amqp_url: str, topology: Topology, vhost: str, *,
              management: str | None = None, impersonator: str | None = None) -> BrokerUsers:
    """Create (or reset) the services' users for ``topology`` in ``vhost``.

    ``impersonator``: also a user of that name allowed everything in the vhost and to
    stamp any ``user_id`` (RabbitMQ's ``impersonator`` tag) — for tests that publish as
    a service would, never for a deployment.
    """
    how = _how(admin_amqp_url, management)
    definitions = build_definitions(topology, vhost)
    admin = login_of(admin_amqp_url)
    everything = {"configure": ".*", "write": ".*", "read": ".*"}
    definitions["permissions"].append({"user": admin, "vhost": vhost, **everything})
    if impersonator:
        definitions["users"].append({"name": impersonator, "tags": ["impersonator"]})
        definitions["permissions"].append({"user": impersonator, "vhost": vhost, **everything})
    passwords = {u["name"]: secrets.token_hex(16) for u in definitions["users"]}
    try:
        if how == "rabbitmqctl":
            load(definitions, passwords)
            _wait_for_bindings(definitions, vhost)
        else:
            load(definitions, passwords, how.removeprefix("http:"))
    except DefinitionsError as error:
        raise BrokerSetupError(str(error)) from None
    urls = {service: url_for(admin_amqp_url, topology.user_name(service),
                             passwords[topology.user_name(service)], vhost)
            for service in SERVICES}
    if impersonator:
        urls[impersonator] = url_for(admin_amqp_url, impersonator, passwords[impersonator], vhost)
    return BrokerUsers(vhost, urls)


def remove(admin_amqp_url: str, vhost: str | None, users: list[str], *,
           management: str | None = None) -> None:
    """Delete the vhost (its queues, exchanges and permissions), unless None, and the
    users."""
    how = _how(admin_amqp_url, management)
    if how == "rabbitmqctl":
        for command in ([["delete_vhost", vhost]] if vhost is not None else []) + [
                ["delete_user", user] for user in users]:
            try:
                _rabbitmqctl(*command)
            except BrokerSetupError as error:
                if "does not exist" not in str(error):  # already gone is fine
                    raise
        return
    api = how.removeprefix("http:")
    paths = [f"vhosts/{quote(vhost, safe='')}"] if vhost is not None else []
    for path in [*paths, *(f"users/{quote(u, safe='')}" for u in users)]:
        _http_delete(api, path)


def _http_delete(api: str, path: str) -> None:
    parts = urlsplit(api)
    base = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port or 15672}", "", "", ""))
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, base, unquote(parts.username or ""), unquote(parts.password or ""))
    opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(manager))
    request = urllib.request.Request(f"{base}/api/{path}", method="DELETE")
    try:
        opener.open(request, timeout=30).close()
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise BrokerSetupError(f"DELETE /api/{path}: {error.code}") from None


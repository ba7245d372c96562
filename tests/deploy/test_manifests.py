"""docker-compose.yml, the Dockerfiles and the Kubernetes manifests agree with the code.

No Docker engine or cluster runs here, so these files are checked by parsing: the same
images, ports, environment variables (those the services' Settings read), probes and
RabbitMQ topology everywhere.
"""

import dataclasses
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from accounting.config import Settings as AccountingSettings
from deploy.local.stack import Stack
from deploy.rabbitmq.load_definitions import url_variable
from integration_worker.config import Settings as WorkerSettings
from invoicing.config import Settings as InvoicingSettings
from shared.messaging.topology import Topology
from tools import export_openapi, export_rabbitmq_definitions

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
DOCKER = REPO / "deploy" / "docker"

SETTINGS = {"invoicing": InvoicingSettings, "accounting": AccountingSettings,
            "integration-worker": WorkerSettings}
PACKAGES = {"invoicing": "invoicing", "accounting": "accounting",
            "integration-worker": "integration_worker"}
# The ports `make run` uses (deploy/local/stack.py) are the ports everywhere.
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Stack)}
PORTS = {"invoicing": _DEFAULTS["invoicing_port"], "accounting": _DEFAULTS["accounting_port"]}
APIS = sorted(PORTS)
# Read by a service only once its issue lands; until then pydantic-settings ignores it.
PENDING_ENV: dict[str, str] = {}
# Who holds which secret (README, "Security"): the worker's credential is for the worker
# and accounting only.
SECRETS = {"invoicing": {"AUTH_SECRET"},
           "accounting": {"AUTH_SECRET", "WORKER_SERVICE_SECRET"},
           "integration-worker": {"AUTH_SECRET", "WORKER_SERVICE_SECRET"}}
DEV_ONLY = ["ruff", "pytest", "pytest-asyncio", "hypothesis", "testcontainers", "docker"]


def env_names(settings: type) -> set[str]:
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for name, info in settings.model_fields.items():
        alias = info.validation_alias or info.alias
        names.add((alias if isinstance(alias, str) else prefix + name).upper())
    return names


def image_service(image: str) -> str | None:
    """`registry/dte/dte-invoicing:1.0` → `invoicing`; None for third-party images."""
    name = image.rsplit("/", 1)[-1].split(":", 1)[0]
    return name.removeprefix("dte-") if name.startswith("dte-") else None


def check_env(service: str, names: set[str], where: str) -> None:
    unknown = names - env_names(SETTINGS[service]) - set(PENDING_ENV)
    assert not unknown, f"{where}: {service} reads no {sorted(unknown)}"


# --- docker-compose.yml -----------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


def app_services(compose: dict) -> dict[str, tuple[str, dict]]:
    """Compose service name → (our service, its definition), for our images only."""
    return {name: (image_service(spec["image"]), spec)
            for name, spec in compose["services"].items()
            if image_service(spec.get("image", "")) is not None}


def test_compose_builds_each_image_from_its_dockerfile(compose):
    apps = app_services(compose)
    assert {service for service, _ in apps.values()} == set(SETTINGS)
    for name, (service, spec) in apps.items():
        assert spec["image"].split(":")[0] == f"dte-{service}", name
        assert spec["build"]["dockerfile"] == f"deploy/docker/{service}.Dockerfile", name
        assert (REPO / spec["build"]["context"] / spec["build"]["dockerfile"]).exists()


def test_compose_migrates_each_database_before_its_service_starts(compose):
    services = compose["services"]
    for service in APIS:
        migrate = services[f"{service}-migrate"]
        assert migrate["command"] == ["python", "-m", PACKAGES[service], "migrate"]
        assert migrate["environment"]["DATABASE_URL"] == \
            services[service]["environment"]["DATABASE_URL"]
        assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[service]["depends_on"][f"{service}-migrate"]["condition"] == \
            "service_completed_successfully"


def test_compose_gives_each_service_its_own_database(compose):
    init_sql = (REPO / "deploy" / "compose" / "create-databases.sql").read_text()
    created = set(re.findall(r"CREATE DATABASE (\w+)", init_sql))
    urls = {s: compose["services"][s]["environment"]["DATABASE_URL"] for s in APIS}
    databases = {s: url.rsplit("/", 1)[1] for s, url in urls.items()}
    assert len(set(databases.values())) == len(APIS)
    assert set(databases.values()) <= created
    mounted = compose["services"]["postgres"]["volumes"]
    assert any(v.startswith("./deploy/compose/create-databases.sql:/docker-entrypoint-initdb.d/")
               for v in mounted)


def test_compose_rabbitmq_has_management_and_loads_the_definitions(compose):
    services = compose["services"]
    assert "management" in services["rabbitmq"]["image"]
    assert services["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_USER"] != "guest"
    loader = services["rabbitmq-definitions"]
    assert "./deploy/rabbitmq:/rabbitmq:ro" in loader["volumes"]
    assert loader["command"] == ["python", "/rabbitmq/load_definitions.py",
                                 "/rabbitmq/definitions.json"]
    assert loader["environment"]["RABBITMQ_MANAGEMENT_URL"].endswith("@rabbitmq:15672")
    # Each user's password is the one in its service's URL.
    for service in SETTINGS:
        variable = url_variable(Topology().user_name(service))
        assert loader["environment"][variable] == services[service]["environment"]["AMQP_URL"]
    for name, (_, spec) in app_services(compose).items():
        if not name.endswith("-migrate"):
            assert spec["depends_on"]["rabbitmq-definitions"]["condition"] == \
                "service_completed_successfully", name


def test_compose_env_is_what_the_settings_read(compose):
    for name, (service, spec) in app_services(compose).items():
        check_env(service, set(spec.get("environment", {})), f"docker-compose {name}")
        if not name.endswith("-migrate"):
            assert {"AMQP_URL", "EVENT_EXCHANGE", "DELIVERY_LIMIT"} <= set(spec["environment"])
    worker = compose["services"]["integration-worker"]["environment"]
    assert worker["ACCOUNTING_URL"] == f"http://accounting:{PORTS['accounting']}"


def test_compose_topology_is_the_definitions_topology(compose):
    definitions = export_rabbitmq_definitions.build_definitions(Topology())
    for _, spec in app_services(compose).values():
        env = spec["environment"]
        if "EVENT_EXCHANGE" in env:
            assert env["EVENT_EXCHANGE"] == definitions["exchanges"][0]["name"]
            assert env["QUEUE_PREFIX"] == Topology().queue_prefix
            assert int(env["DELIVERY_LIMIT"]) == Topology().delivery_limit


@pytest.mark.parametrize("service", APIS)
def test_compose_api_ports_and_health_checks(compose, service):
    spec = compose["services"][service]
    port = PORTS[service]
    assert spec["command"][-2:] == ["--port", str(port)]
    published = {p.rsplit(":", 1)[1] for p in spec["ports"]}
    assert published == {str(port)}
    check = " ".join(spec["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/readyz" in check


def test_compose_volumes_are_named_and_declared(compose):
    declared = set(compose["volumes"])
    used = {v.split(":", 1)[0] for spec in compose["services"].values()
            for v in spec.get("volumes", []) if not v.startswith(".")}
    assert used == declared == {"pgdata", "rabbitdata"}


def test_compose_requires_the_secrets_and_runs_no_service_in_development(compose):
    for name, (service, spec) in app_services(compose).items():
        env = spec.get("environment", {})
        assert "ENVIRONMENT" not in env, name  # a deployment: the default, production
        if name.endswith("-migrate"):
            assert not {k for k in env if "SECRET" in k}, f"{name} needs no secret"
            continue
        assert {k for k in env if k.endswith("_SECRET")} == SECRETS[service], name
        for secret in SECRETS[service]:
            # ${VAR:?message}: compose stops with the message when it is not set.
            assert env[secret].startswith("${" + secret + ":?"), (name, secret)


def test_compose_runs_competing_workers(compose):
    assert compose["services"]["integration-worker"]["deploy"]["replicas"] >= 2


# --- Dockerfiles --------------------------------------------------------------------


def dockerfile(service: str) -> str:
    return (DOCKER / f"{service}.Dockerfile").read_text(encoding="utf-8")


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_dockerfile_is_pinned_non_root_and_runs_the_service(service):
    text = dockerfile(service)
    (base,) = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base)
    (user,) = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user.split(":")[0] not in {"root", "0"}
    assert "COPY requirements.lock" in text and "COPY shared shared" in text
    assert f"COPY services/{service} services/{service}" in text
    (cmd,) = re.findall(r"^CMD (.+)$", text, re.MULTILINE)
    assert json.loads(cmd)[:3] == ["python", "-m", PACKAGES[service]]
    if service in PORTS:
        assert re.search(rf"^EXPOSE {PORTS[service]}$", text, re.MULTILINE)
        assert json.loads(cmd)[-1] == str(PORTS[service])
    ignore = (DOCKER / f"{service}.Dockerfile.dockerignore").read_text()
    assert f"!services/{service}" in ignore


def test_dockerfiles_share_one_base_image():
    bases = {re.search(r"^FROM (\S+)", dockerfile(s), re.MULTILINE).group(1) for s in SETTINGS}
    assert len(bases) == 1


def test_the_packages_left_out_of_the_images_are_not_imported_by_the_services():
    lock = (REPO / "requirements.lock").read_text().splitlines()
    assert all(any(line.startswith(f"{name}==") for line in lock) for name in DEV_ONLY)
    modules = {name.replace("-", "_") for name in DEV_ONLY}
    sources = [*(REPO / "shared" / "shared").rglob("*.py"),
               *(p for s in SETTINGS for p in (REPO / "services" / s).rglob("*.py"))]
    for path in sources:
        imports = re.findall(r"^\s*(?:from|import) (\w+)", path.read_text(), re.MULTILINE)
        used = modules & set(imports)
        assert not used, f"{path.relative_to(REPO)} imports {used}, left out of the image"


# --- Kubernetes ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def resources(kustomization) -> list[dict]:
    docs = []
    for name in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")) if d]
    return docs


def by_kind(resources: list[dict], kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def pod_containers(resource: dict) -> list[dict]:
    spec = resource["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def test_every_manifest_parses_and_has_a_kind():
    files = sorted(K8S.glob("*.yaml"))
    assert len(files) >= 7
    for path in files:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                assert {"apiVersion", "kind"} <= doc.keys(), path.name


def test_kustomization_lists_existing_files_and_our_images(kustomization):
    for name in kustomization["resources"]:
        assert (K8S / name).exists(), name
    assert "secret.example.yaml" not in kustomization["resources"]
    assert {i["name"] for i in kustomization["images"]} == {f"dte-{s}" for s in SETTINGS}


def test_each_service_runs_its_image_and_reads_only_its_settings(resources):
    seen = set()
    for kind in ("Deployment", "Job"):
        for name, resource in by_kind(resources, kind).items():
            for container in pod_containers(resource):
                service = image_service(container["image"])
                if service is None:
                    continue
                seen.add(service)
                assert container["image"] == f"dte-{service}", name
                assert container["command"][:3] == ["python", "-m", PACKAGES[service]]
                check_env(service, {e["name"] for e in container.get("env", [])},
                          f"{kind} {name}/{container['name']}")
    assert seen == set(SETTINGS)


@pytest.mark.parametrize("service", APIS)
def test_api_deployment_ports_probes_and_resources(resources, service):
    deployment = by_kind(resources, "Deployment")[service]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    port = PORTS[service]
    assert container["command"][-2:] == ["--port", str(port)]
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
    assert {"cpu", "memory"} <= container["resources"]["limits"].keys()
    assert {"DATABASE_URL", "AMQP_URL"} <= {e["name"] for e in container["env"]}
    service_port = by_kind(resources, "Service")[service]["spec"]["ports"]
    assert service_port == [{"name": "http", "port": port, "targetPort": "http"}]


@pytest.mark.parametrize("service", APIS)
def test_the_probed_paths_exist_in_the_app(service):
    paths = export_openapi.SCHEMAS[service]()["paths"]
    assert {"/readyz", "/healthz"} <= paths.keys()


def test_the_worker_scales_out_on_one_queue(resources):
    worker = by_kind(resources, "Deployment")["integration-worker"]
    assert worker["spec"]["replicas"] >= 2
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
    assert {"cpu", "memory"} <= container["resources"]["limits"].keys()
    env = {e["name"] for e in container["env"]}
    assert {"AMQP_URL", "ACCOUNTING_URL"} <= env
    # No QUEUE_PREFIX per pod: every replica consumes the same queue.
    for probe in ("readinessProbe", "livenessProbe"):
        if probe in container:
            assert container[probe]["httpGet"]["path"] in {"/readyz", "/healthz"}


def test_a_migration_job_per_database(resources):
    jobs = by_kind(resources, "Job")
    for service in APIS:
        (container,) = jobs[f"{service}-migrate"]["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", PACKAGES[service], "migrate"]


def test_pods_run_as_non_root(resources):
    for kind in ("Deployment", "Job"):
        for name, resource in by_kind(resources, kind).items():
            assert resource["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"], name
            for container in pod_containers(resource):
                assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_secret_and_config_keys_exist(resources):
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text(encoding="utf-8"))
    assert secret["kind"] == "Secret" and secret["metadata"]["name"] == "dte-secrets"
    secret_keys = set(secret["stringData"])
    assert {"AUTH_SECRET", "WORKER_SERVICE_SECRET"} <= secret_keys
    config = by_kind(resources, "ConfigMap")["dte-config"]["data"]
    for kind in ("Deployment", "Job"):
        for resource in by_kind(resources, kind).values():
            for container in pod_containers(resource):
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {})
                    if "secretKeyRef" in ref:
                        assert ref["secretKeyRef"]["name"] == "dte-secrets"
                        assert ref["secretKeyRef"]["key"] in secret_keys, env
                    if "configMapKeyRef" in ref:
                        assert ref["configMapKeyRef"]["name"] == "dte-config"
                        assert ref["configMapKeyRef"]["key"] in config, env


def test_config_topology_is_the_definitions_topology(resources):
    config = by_kind(resources, "ConfigMap")["dte-config"]["data"]
    topology = Topology(config["EVENT_EXCHANGE"], config["QUEUE_PREFIX"],
                        int(config["DELIVERY_LIMIT"]))
    loaded = by_kind(resources, "ConfigMap")["rabbitmq-definitions"]["data"]["definitions.json"]
    assert json.loads(loaded) == export_rabbitmq_definitions.build_definitions(topology)
    assert config["ACCOUNTING_URL"] == f"http://accounting:{PORTS['accounting']}"


def test_the_definitions_job_imports_the_generated_configmap(resources):
    job = by_kind(resources, "Job")["rabbitmq-definitions"]
    spec = job["spec"]["template"]["spec"]
    assert spec["volumes"] == [{"name": "definitions",
                                "configMap": {"name": "rabbitmq-definitions"}}]
    (container,) = spec["containers"]
    assert container["command"] == ["python", "/definitions/load_definitions.py",
                                    "/definitions/definitions.json"]
    loaded = by_kind(resources, "ConfigMap")["rabbitmq-definitions"]["data"]
    assert loaded["load_definitions.py"] == export_rabbitmq_definitions.LOADER.read_text()
    # The passwords of the users it creates are those of the services' own URLs.
    env = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"]}
    users = [u["name"] for u in json.loads(loaded["definitions.json"])["users"]]
    assert env == {"RABBITMQ_MANAGEMENT_URL": "RABBITMQ_MANAGEMENT_URL",
                   **{url_variable(user): url_variable(user) for user in users}}


def test_each_service_connects_to_the_broker_as_its_own_user(resources, compose):
    """One broker user per service (issue 11.4): each Deployment's AMQP_URL is its own
    secret, whose user is the definitions' user for that service; compose the same."""
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text(encoding="utf-8"))
    users = {u["name"] for u in json.loads(
        export_rabbitmq_definitions.DEFINITIONS.read_text())["users"]}
    assert users == {Topology().user_name(s) for s in SETTINGS}
    for service in SETTINGS:
        (container,) = by_kind(resources, "Deployment")[service]["spec"]["template"][
            "spec"]["containers"]
        (amqp,) = [e for e in container["env"] if e["name"] == "AMQP_URL"]
        key = amqp["valueFrom"]["secretKeyRef"]["key"]
        assert key == url_variable(Topology().user_name(service))
        assert urlsplit(secret["stringData"][key]).username == Topology().user_name(service)
        # ${VARIABLE:?message} stands for the password: compose requires it
        url = re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "password",
                     compose["services"][service]["environment"]["AMQP_URL"])
        assert urlsplit(url).username == Topology().user_name(service), url
        assert urlsplit(url).path == f"/{export_rabbitmq_definitions.VHOST}"


def test_no_guest_user_in_compose_kubernetes_or_the_definitions():
    files = [REPO / "docker-compose.yml", export_rabbitmq_definitions.DEFINITIONS,
             *K8S.glob("*.yaml")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bguest\b", text), f"{path.relative_to(REPO)} mentions guest"


def test_images_are_the_same_in_compose_and_kubernetes(compose, kustomization):
    compose_images = {spec["image"].split(":")[0] for _, spec in app_services(compose).values()}
    k8s_images = {i["name"] for i in kustomization["images"]}
    assert compose_images == k8s_images == {f"dte-{s}" for s in SETTINGS}


def test_each_service_gets_only_its_secrets(resources):
    for name, deployment in by_kind(resources, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        secrets = {e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"]
                   if "secretKeyRef" in e.get("valueFrom", {})}
        assert {k for k in secrets if k.endswith("_SECRET")} == SECRETS[name], name
        assert not any(e["name"] == "ENVIRONMENT" for e in container["env"]), name


def test_no_pod_mounts_a_service_account_token(resources):
    for kind in ("Deployment", "Job"):
        for name, resource in by_kind(resources, kind).items():
            spec = resource["spec"]["template"]["spec"]
            assert spec.get("automountServiceAccountToken") is False, f"{kind} {name}"


def _ingress_from(policy: dict) -> list[dict]:
    (rule,) = policy["spec"]["ingress"]
    return rule["from"]


def _policy_for(resources: list[dict], app: str) -> dict:
    (policy,) = [p for p in by_kind(resources, "NetworkPolicy").values()
                 if p["spec"]["podSelector"].get("matchLabels") == {"app.kubernetes.io/name": app}]
    return policy


def test_every_pod_is_closed_to_connections_by_default(resources):
    policies = by_kind(resources, "NetworkPolicy")
    assert any(p["spec"]["podSelector"] == {} and p["spec"]["policyTypes"] == ["Ingress"]
               and not p["spec"].get("ingress") for p in policies.values())
    # The worker serves nothing to anyone: no policy opens it.
    assert all(p["spec"]["podSelector"].get("matchLabels") !=
               {"app.kubernetes.io/name": "integration-worker"} for p in policies.values())


def test_only_the_worker_and_the_ingress_reach_accounting(resources):
    policy = _policy_for(resources, "accounting")
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": PORTS["accounting"]}]
    pods = [f["podSelector"]["matchLabels"] for f in rule["from"] if "podSelector" in f]
    assert pods == [{"app.kubernetes.io/name": "integration-worker"}]
    # The worker's pods carry that label, and nothing else may come from inside.
    worker = by_kind(resources, "Deployment")["integration-worker"]
    assert worker["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == \
        "integration-worker"
    namespaces = [f for f in rule["from"] if "podSelector" not in f]
    assert len(namespaces) == 1 and set(namespaces[0]) == {"namespaceSelector"}


def test_invoicing_is_reached_from_the_ingress_only(resources):
    (rule,) = _policy_for(resources, "invoicing")["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": PORTS["invoicing"]}]
    assert [set(f) for f in rule["from"]] == [{"namespaceSelector"}]
    accounting_ingress = [f for f in _ingress_from(_policy_for(resources, "accounting"))
                          if "namespaceSelector" in f]
    assert rule["from"] == accounting_ingress  # the same way in for both APIs

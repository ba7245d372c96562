"""The settings rules every process starts with (issue 11, item 2 and the token part of 7):
the public development secrets only with ENVIRONMENT=development, one readable line for a
bad value, and token settings that fit together."""

from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from accounting.config import Settings as AccountingSettings
from integration_worker.config import Settings as WorkerSettings
from invoicing.config import Settings as InvoicingSettings
from shared.http.auth import DEVELOPMENT_SECRET, DEVELOPMENT_SERVICE_SECRET
from shared.settings import SettingsError, read_settings, startup_check

REPO = Path(__file__).resolve().parents[3]
OWN = "0123456789abcdef0123456789abcdef-own"
OWN_SERVICE = "fedcba9876543210fedcba9876543210-worker"
ALL = [InvoicingSettings, AccountingSettings, WorkerSettings]
# Accounting and the worker hold the worker's credential; invoicing does not.
WITH_CREDENTIAL = [AccountingSettings, WorkerSettings]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Only what each test says: not the ENVIRONMENT=development of tests/conftest.py."""
    for name in ("ENVIRONMENT", "AUTH_SECRET", "WORKER_SERVICE_SECRET", "AUTH_ALGORITHM",
                 "AUTH_PUBLIC_KEY", "AUTH_ISSUER", "AUTH_AUDIENCE", "AUTH_MAX_TOKEN_LIFETIME"):
        monkeypatch.delenv(name, raising=False)


def own_secrets(settings_type):
    extra = {"worker_service_secret": OWN_SERVICE} if settings_type in WITH_CREDENTIAL else {}
    return {"auth_secret": OWN, **extra}


def example_secret() -> dict[str, str]:
    text = (REPO / "deploy" / "k8s" / "secret.example.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["stringData"]


@pytest.mark.parametrize("settings_type", ALL)
def test_a_deployment_is_the_default_and_refuses_the_development_secret(settings_type):
    settings = read_settings(settings_type)
    assert settings.environment == "production"
    with pytest.raises(SettingsError) as refused:
        startup_check(settings)
    message = str(refused.value)
    assert "AUTH_SECRET" in message and "ENVIRONMENT=development" in message
    assert "\n" not in message
    assert DEVELOPMENT_SECRET not in message


@pytest.mark.parametrize("settings_type", WITH_CREDENTIAL)
def test_the_workers_development_credential_is_refused_too(settings_type):
    settings = read_settings(settings_type, auth_secret=OWN)
    with pytest.raises(SettingsError, match="WORKER_SERVICE_SECRET"):
        startup_check(settings)


@pytest.mark.parametrize("settings_type", ALL)
def test_the_k8s_example_placeholders_are_refused(settings_type):
    placeholders = example_secret()
    values = {"auth_secret": placeholders["AUTH_SECRET"]}
    if settings_type in WITH_CREDENTIAL:
        values["worker_service_secret"] = placeholders["WORKER_SERVICE_SECRET"]
    settings = read_settings(settings_type, **values)  # long enough: only the check stops it
    with pytest.raises(SettingsError) as refused:
        startup_check(settings)
    assert "AUTH_SECRET" in str(refused.value)


@pytest.mark.parametrize("settings_type", ALL)
def test_development_mode_runs_on_them_with_one_warning_line(settings_type):
    warning = startup_check(read_settings(settings_type, environment="development"))
    assert warning is not None and "\n" not in warning
    assert "ENVIRONMENT=development" in warning and "AUTH_SECRET" in warning


@pytest.mark.parametrize("settings_type", ALL)
def test_own_secrets_start_without_a_word(settings_type):
    assert startup_check(read_settings(settings_type, **own_secrets(settings_type))) is None
    development = read_settings(settings_type, environment="development",
                                **own_secrets(settings_type))
    assert startup_check(development) is None


def test_the_environment_is_read_from_the_variable(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "development")
    assert read_settings(InvoicingSettings).environment == "development"
    monkeypatch.setenv("ENVIRONMENT", "devel")
    with pytest.raises(SettingsError, match="^ENVIRONMENT: .*'development'"):
        read_settings(InvoicingSettings)


def test_a_bad_value_is_one_line_naming_the_variable_and_the_rule_never_the_value(monkeypatch):
    monkeypatch.setenv("AUTH_SECRET", "too-short-but-secret")
    monkeypatch.setenv("DB_POOL_SIZE", "0")
    with pytest.raises(SettingsError) as refused:
        read_settings(AccountingSettings)
    message = str(refused.value)
    assert "\n" not in message
    assert "AUTH_SECRET: String should have at least 32 characters" in message
    assert "DB_POOL_SIZE: Input should be greater than or equal to 1" in message
    assert "too-short-but-secret" not in message


def test_the_workers_credential_is_its_own():
    with pytest.raises(SettingsError, match="^WORKER_SERVICE_SECRET: must differ from "
                                            "AUTH_SECRET"):
        read_settings(WorkerSettings, auth_secret=OWN, worker_service_secret=OWN)


def _pem_public(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _pem_private(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def test_a_public_key_algorithm_needs_the_public_key():
    with pytest.raises(SettingsError, match="^AUTH_PUBLIC_KEY: AUTH_ALGORITHM=RS256"):
        read_settings(InvoicingSettings, auth_algorithm="RS256")


def test_the_public_key_may_come_on_one_line_and_then_no_secret_is_needed():
    key = ed25519.Ed25519PrivateKey.generate()
    one_line = _pem_public(key).replace("\n", "\\n")
    settings = read_settings(InvoicingSettings, auth_algorithm="EdDSA",
                             auth_public_key=one_line)
    verifier = settings.token_verifier
    assert verifier.algorithm == "EdDSA" and verifier.key.startswith("-----BEGIN PUBLIC KEY")
    # The development secret is not in use: nothing to refuse, nothing that signs.
    assert startup_check(settings) is None


def test_a_private_key_or_the_wrong_kind_of_key_is_refused():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SettingsError, match="holds a private key"):
        read_settings(InvoicingSettings, auth_algorithm="RS256",
                      auth_public_key=_pem_private(rsa_key))
    with pytest.raises(SettingsError, match="^AUTH_PUBLIC_KEY: not a PEM public key for EdDSA"):
        read_settings(InvoicingSettings, auth_algorithm="EdDSA",
                      auth_public_key=_pem_public(rsa_key))
    with pytest.raises(SettingsError, match="^AUTH_PUBLIC_KEY: not a PEM public key"):
        read_settings(InvoicingSettings, auth_algorithm="RS256", auth_public_key="garbage")


def test_token_settings_reach_the_verifier(monkeypatch):
    monkeypatch.setenv("AUTH_ISSUER", "https://login.example.com")
    monkeypatch.setenv("AUTH_AUDIENCE", "dte")
    monkeypatch.setenv("AUTH_MAX_TOKEN_LIFETIME", "3600")
    verifier = read_settings(AccountingSettings).token_verifier
    assert (verifier.issuer, verifier.audience, verifier.max_lifetime) == (
        "https://login.example.com", "dte", 3600)
    service = read_settings(AccountingSettings, worker_service_secret=OWN_SERVICE)
    assert service.service_token_verifier.key == OWN_SERVICE
    assert read_settings(WorkerSettings).worker_service_secret == DEVELOPMENT_SERVICE_SECRET
    monkeypatch.setenv("AUTH_MAX_TOKEN_LIFETIME", "10")
    with pytest.raises(SettingsError, match="^AUTH_MAX_TOKEN_LIFETIME: "):
        read_settings(AccountingSettings)

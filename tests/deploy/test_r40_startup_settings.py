"""R40: outside local mode a process refuses to start while a key or billing's issuer is
missing or left at its built-in value, and says which setting; local mode (``make dev``,
the test suites: ``BIZMALL_LOCAL_MODE``) keeps the built-in values; compose sets every
one of them so that its containers start."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from typing import Any

import pytest

from billing.config import DEV_BANK_DETAILS_KEY
from identity.config import DEV_SIGNING_KEY_SECRET
from servicekit.settings import DEV_EVENT_SECRET_KEY, LOCAL_MODE_VARIABLE

SERVICES = ("identity", "catalog", "ordering", "billing", "notification")

#: A billing configured as a real deployment would be (values of its own).
ISSUER = {
    "BILLING_ISSUER_NAME": "ビズモール株式会社",
    "BILLING_ISSUER_REGISTRATION_NUMBER": "T5010001000001",
    "BILLING_ISSUER_ADDRESS": "〒100-0005 東京都千代田区丸の内2-2-2",
    "BILLING_PAYEE_BANK_ACCOUNT": "三井住友銀行 東京営業部 普通預金 7654321 ビズモール株式会社",
}
BILLING_KEYS = {
    "BILLING_EVENT_SECRET_KEY": "bm90LXRoZS1idWlsdC1pbi1ldmVudC1rZXktMzJiISE=",
    "BILLING_BANK_DETAILS_KEY": "bm90LXRoZS1idWlsdC1pbi1iYW5rLWtleS0zMmJ5dGU=",
    "BILLING_INTERNAL_TOKEN": "a-token-of-this-deployment",
}


def production_env(**variables: str) -> dict[str, str]:
    """This environment without local mode and without any app's own variables."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name != LOCAL_MODE_VARIABLE and name.split("_", 1)[0].lower() not in SERVICES
    }
    return {**env, **variables}


def use(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """This process's environment becomes ``env`` as far as the apps read it."""
    for name in list(os.environ):
        if name == LOCAL_MODE_VARIABLE or name.split("_", 1)[0].lower() in SERVICES:
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def start(app: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m <app> api`` as a container would start it (it stops at the check)."""
    return subprocess.run(
        [sys.executable, "-m", app, "api"],
        env=env,
        capture_output=True,
        text=True,
        # Importing the app takes seconds, minutes on a loaded machine.
        timeout=600,
        check=False,
    )


def test_r40_billing_without_its_issuer_refuses_to_start_naming_each_setting() -> None:
    done = start("billing", production_env(**BILLING_KEYS))

    assert done.returncode == 78, done.stderr
    assert "refusing to start outside local mode" in done.stderr
    for variable in ISSUER:
        assert f"{variable} is not set" in done.stderr
    assert "BILLING_BANK_DETAILS_KEY" not in done.stderr
    # Never a value in the message.
    assert BILLING_KEYS["BILLING_BANK_DETAILS_KEY"] not in done.stderr


def test_r40_one_missing_issuer_setting_is_named_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from billing.config import Settings

    issuer = {k: v for k, v in ISSUER.items() if k != "BILLING_PAYEE_BANK_ACCOUNT"}
    use(monkeypatch, production_env(**BILLING_KEYS, **issuer))
    assert Settings().startup_problems() == [
        "BILLING_PAYEE_BANK_ACCOUNT is not set (its built-in value is for local mode only)"
    ]


def test_r40_a_built_in_key_or_placeholder_issuer_refuses_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from billing.config import Settings

    built_in = Settings.model_construct()
    env = production_env(
        **{**ISSUER, "BILLING_ISSUER_REGISTRATION_NUMBER": built_in.issuer_registration_number},
        **{**BILLING_KEYS, "BILLING_BANK_DETAILS_KEY": DEV_BANK_DETAILS_KEY},
    )
    use(monkeypatch, env)
    problems = Settings().startup_problems()
    assert problems == [
        "BILLING_BANK_DETAILS_KEY is the built-in local-mode value: set your own",
        "BILLING_ISSUER_REGISTRATION_NUMBER is the built-in local-mode value: set your own",
    ]
    assert DEV_BANK_DETAILS_KEY not in str(problems)

    identity = start(
        "identity",
        production_env(
            IDENTITY_EVENT_SECRET_KEY=BILLING_KEYS["BILLING_EVENT_SECRET_KEY"],
            IDENTITY_SIGNING_KEY_SECRET=DEV_SIGNING_KEY_SECRET,
        ),
    )
    assert identity.returncode == 78
    assert "IDENTITY_SIGNING_KEY_SECRET is the built-in local-mode value" in identity.stderr
    assert "IDENTITY_DOCUMENT_ENCRYPTION_KEY is not set" in identity.stderr
    assert "IDENTITY_EVENT_SECRET_KEY" not in identity.stderr

    monkeypatch.setenv("CATALOG_EVENT_SECRET_KEY", DEV_EVENT_SECRET_KEY)
    catalog = importlib.import_module("catalog.config").Settings()
    assert catalog.startup_problems() == [
        "CATALOG_EVENT_SECRET_KEY is the built-in local-mode value: set your own"
    ]


def test_r40_a_malformed_registration_number_is_refused_in_every_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from billing.config import Settings

    monkeypatch.setenv(LOCAL_MODE_VARIABLE, "1")
    monkeypatch.setenv("BILLING_ISSUER_REGISTRATION_NUMBER", "T12345")
    assert Settings().startup_problems() == [
        "BILLING_ISSUER_REGISTRATION_NUMBER must be T followed by 13 digits "
        "(the qualified-invoice registration number, R25)"
    ]


def test_r40_a_missing_invoice_font_is_refused_outside_local_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from billing.config import Settings

    use(monkeypatch, production_env(**ISSUER, **BILLING_KEYS))
    assert Settings().startup_problems() == []
    monkeypatch.setenv("BILLING_INVOICE_FONT_PATH", "/nonexistent/ipaexg.ttf")
    (problem,) = Settings().startup_problems()
    assert problem.startswith("BILLING_INVOICE_FONT_PATH: no font file at /nonexistent/ipaexg.ttf")
    monkeypatch.setenv(LOCAL_MODE_VARIABLE, "1")
    assert Settings().startup_problems() == []


def test_r40_local_mode_keeps_the_built_in_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOCAL_MODE_VARIABLE, "1")
    for app in SERVICES:
        settings = importlib.import_module(f"{app}.config").Settings()
        assert settings.local_mode is True
        assert settings.startup_problems() == [], app


@pytest.mark.parametrize("app", SERVICES)
def test_r40_compose_gives_every_service_its_own_keys_and_billing_its_issuer(
    deploy: Any, app: str, app_environment: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_environment(deploy.container_env(app))
    monkeypatch.delenv(LOCAL_MODE_VARIABLE, raising=False)
    settings = importlib.import_module(f"{app}.config").Settings()
    assert settings.local_mode is False
    assert settings.startup_problems() == []


def test_r40_the_billing_image_carries_the_invoice_font_where_billing_looks(deploy: Any) -> None:
    from billing.config import DEFAULT_INVOICE_FONT_PATH

    dockerfile = deploy.dockerfiles["billing"]
    copies = [
        c.value.split() for c in dockerfile.final.all("COPY") if c.flags.get("from") == "fonts"
    ]
    assert copies == [["/fonts/", "/usr/share/fonts/opentype/ipaexfont-gothic/"]]
    assert copies[0][1] + "ipaexg.ttf" == DEFAULT_INVOICE_FONT_PATH
    (fonts,) = [stage for stage in dockerfile.stages if stage.name == "fonts"]
    (run,) = fonts.all("RUN")
    assert "apt-get install -y --no-install-recommends fonts-ipaexfont-gothic" in run.value
    assert "cp /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf /fonts/" in run.value

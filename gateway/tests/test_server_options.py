"""How ``python -m gateway api`` serves: options that clients in front depend on."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from gateway import __main__ as gateway_main


def test_idle_connections_outlive_the_load_balancers_idle_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client pausing between two requests on one connection (a browser, a load
    balancer's pool, a test waiting for the next TOTP step) must find it open: the
    gateway keeps idle connections longer than the usual 60 s idle timeout in front,
    so it never closes one just as a client reuses it."""
    served: dict[str, Any] = {}
    monkeypatch.setattr(gateway_main, "configure_logging", lambda *_a, **_k: None)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(options, app=app))
    assert gateway_main.main(["api"]) == 0
    assert served["app"] == "gateway.app:create_app"
    assert served["timeout_keep_alive"] > 60
    assert served["access_log"] is False and served["log_config"] is None

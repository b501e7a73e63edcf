"""Log lines are JSON, carry the service and request ids, and never hold secrets."""

from __future__ import annotations

import json
import logging
from typing import Any

import jwt
import pytest

from servicekit.context import correlation_id_var, request_id_var
from servicekit.logging import REDACTED, configure_logging, get_logger, redact, scrub_text

# A real HS256 JWT (signed with a throwaway secret) and a Fernet-shaped token.
JWT = jwt.encode({"sub": "member-1"}, "throwaway-secret-for-tests-only-32b", algorithm="HS256")
FERNET = "gAAAAABn" + "Q" * 60 + "=="


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> Any:
    configure_logging("logging-test", "DEBUG")
    capsys.readouterr()

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    return read


def test_sensitive_keys_are_redacted_at_any_depth(log_lines: Any) -> None:
    get_logger("tests.logging").info(
        "member registered",
        member_id="m-1",
        password="hunter2hunter2",
        payload={
            "profile": {"name": "山田", "Access_Token": "abc123"},
            "items": [{"otp": "123456"}],
        },
        ciphertext="c1ph3r",
        account_number="1234567",
        Authorization="Basic dXNlcjpwYXNz",
    )

    (line,) = log_lines()
    assert line["member_id"] == "m-1"
    assert line["password"] == REDACTED
    assert line["payload"]["profile"] == {"name": "山田", "Access_Token": REDACTED}
    assert line["payload"]["items"] == [{"otp": REDACTED}]
    assert line["ciphertext"] == REDACTED
    assert line["account_number"] == REDACTED
    assert line["Authorization"] == REDACTED
    for secret in ("hunter2hunter2", "abc123", "123456", "c1ph3r", "1234567", "dXNlcjpwYXNz"):
        assert secret not in json.dumps(line, ensure_ascii=False)


def test_tokens_inside_text_are_scrubbed(log_lines: Any) -> None:
    get_logger("tests.logging").warning(
        f"login with {JWT} failed", header=f"Bearer {JWT[:20]}", note=f"link token {FERNET}"
    )

    (line,) = log_lines()
    raw = json.dumps(line)
    assert JWT not in raw
    assert JWT[:20] not in raw
    assert FERNET not in raw
    assert line["event"] == f"login with {REDACTED} failed"
    assert line["header"] == f"Bearer {REDACTED}"


def test_every_line_carries_service_level_timestamp_and_request_ids(log_lines: Any) -> None:
    request_token = request_id_var.set("req-42")
    correlation_token = correlation_id_var.set("corr-7")
    try:
        get_logger("tests.logging").info("inside a request")
    finally:
        correlation_id_var.reset(correlation_token)
        request_id_var.reset(request_token)
    get_logger("tests.logging").info("outside any request")

    inside, outside = log_lines()
    assert inside["service"] == "logging-test"
    assert inside["level"] == "info"
    assert inside["logger"] == "tests.logging"
    assert inside["request_id"] == "req-42"
    assert inside["correlation_id"] == "corr-7"
    assert inside["timestamp"].endswith("Z")
    assert "request_id" not in outside
    assert outside["service"] == "logging-test"


def test_standard_library_loggers_go_through_the_same_renderer(log_lines: Any) -> None:
    token = request_id_var.set("req-stdlib")
    try:
        logging.getLogger("uvicorn.error").warning("client sent Authorization: Bearer %s", JWT)
        try:
            raise ValueError(f"bad token {JWT}")
        except ValueError:
            logging.getLogger("aio_pika.robust_connection").exception("reconnect failed")
    finally:
        request_id_var.reset(token)

    warning, failure = log_lines()
    assert warning["logger"] == "uvicorn.error"
    assert warning["service"] == "logging-test"
    assert warning["request_id"] == "req-stdlib"
    assert warning["event"] == f"client sent Authorization: Bearer {REDACTED}"
    assert failure["level"] == "error"
    assert "ValueError" in failure["exception"]
    assert JWT not in failure["exception"]


def test_level_filters_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("logging-test", "WARNING")
    capsys.readouterr()

    get_logger("tests.logging").info("too chatty")
    logging.getLogger("tests.stdlib").info("too chatty as well")
    get_logger("tests.logging").warning("worth reading")

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["worth reading"]


def test_reconfiguring_does_not_duplicate_lines(log_lines: Any) -> None:
    configure_logging("logging-test", "DEBUG")

    get_logger("tests.logging").info("once")

    assert [line["event"] for line in log_lines()] == ["once"]


def test_redact_removes_secrets_from_stored_payloads() -> None:
    payload = {
        "member_id": "m-1",
        "token_ciphertext": FERNET,
        "links": [f"https://bizmall.example/verify?t={JWT}"],
        "broker": "amqp://guest:s3cret@rabbit:5672/",
    }

    assert redact(payload) == {
        "member_id": "m-1",
        "token_ciphertext": REDACTED,
        "links": [f"https://bizmall.example/verify?t={REDACTED}"],
        "broker": f"amqp://{REDACTED}@rabbit:5672/",
    }


def test_ordinary_dotted_names_are_not_mistaken_for_tokens() -> None:
    text = "servicekit.outbox.relay published ordering.order.placed to bizmall.events"

    assert scrub_text(text) == text

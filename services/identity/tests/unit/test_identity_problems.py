"""How identity's refusals read over HTTP: the codes, statuses and headers clients
have always had (api/errors.py on top of servicekit's mapping)."""

from __future__ import annotations

from identity.api.errors import problem_of
from identity.domain.errors import (
    RESEND_PATH,
    InvalidCredentials,
    LinkTokenRefused,
    LoginLocked,
    OrderingUnreachable,
    WrongCurrentPassword,
)


def test_r4_a_lockout_names_retry_after_in_its_header_and_its_body() -> None:
    problem = problem_of(LoginLocked(42))
    assert (problem.status, problem.code) == (429, "auth.too_many_attempts")
    assert problem.headers["Retry-After"] == "42" and problem.extra == {"retry_after": 42}


def test_r6_a_refused_link_is_a_bad_request_offering_a_new_link() -> None:
    problem = problem_of(LinkTokenRefused("expired", resend_path=RESEND_PATH))
    assert (problem.status, problem.code) == (400, "token.expired")
    assert problem.extra == {"resend": RESEND_PATH}
    assert problem.en == "This link has expired. You can ask for a new link."


def test_r9_a_wrong_current_password_is_a_bad_request() -> None:
    assert problem_of(WrongCurrentPassword()).status == 400


def test_r4_wrong_credentials_are_401_with_a_bearer_challenge() -> None:
    problem = problem_of(InvalidCredentials())
    assert (problem.status, problem.headers.get("WWW-Authenticate")) == (401, "Bearer")


def test_r11_ordering_out_of_reach_is_503_retried_after_30_seconds() -> None:
    problem = problem_of(OrderingUnreachable())
    assert (problem.status, problem.headers["Retry-After"]) == (503, "30")

"""The authorization matrix: every prefix of the gateway's route table × {anonymous,
member A, member B of A's company, ops}.

:data:`MATRIX` names, for each prefix, the requests that probe it; the expected
answer of each caller follows from the route's :class:`~gateway.routes.Access` and
from whose resource a probe reads. The test cases are generated from
:data:`gateway.routes.ROUTES`, so a prefix added there without an entry here fails.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import pytest_asyncio

from bizmall_testkit.data import today_in_japan
from gateway.routes import ROUTES, Access, Route, requires_token

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Probe:
    """One request; ``{order}``, ``{contract}``, ``{inquiry}``, ``{member}`` and
    ``{random}`` in the path become member A's resources and id (or an id nobody has);
    ``{month_end}`` the default end date of A's contract (the end of this month)."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    owned: bool = False
    """It reads member A's own resource: A gets 200, B (same company) 404."""
    ops_status: int = 200
    """What ops get on an ops route: 200, or for a write the answer that shows the route
    let them in without changing anything (404 for an id nobody has, 422 for a body
    missing what the action needs)."""
    accept: str | None = None
    """An ``Accept`` header (``text/csv``: the audit trail's streamed CSV)."""


_V1 = "/api/v1"
MATRIX: dict[str, list[Probe]] = {
    f"{_V1}/auth/login": [Probe("POST", f"{_V1}/auth/login", {})],
    f"{_V1}/auth/register": [Probe("POST", f"{_V1}/auth/register", {})],
    f"{_V1}/auth/password-reset": [Probe("POST", f"{_V1}/auth/password-reset", {})],
    f"{_V1}/auth/verify-email/resend": [Probe("POST", f"{_V1}/auth/verify-email/resend", {})],
    f"{_V1}/auth": [Probe("POST", f"{_V1}/auth/verify-email", {})],
    f"{_V1}/me/email/confirm": [Probe("POST", f"{_V1}/me/email/confirm", {})],
    f"{_V1}/me": [Probe("GET", f"{_V1}/me"), Probe("GET", f"{_V1}/me/identity-documents")],
    f"{_V1}/services": [Probe("GET", f"{_V1}/services"), Probe("POST", f"{_V1}/services", {})],
    f"{_V1}/orders": [
        Probe("GET", f"{_V1}/orders/{{order}}", owned=True),
        Probe("GET", f"{_V1}/orders"),
    ],
    f"{_V1}/contracts": [
        Probe("GET", f"{_V1}/contracts/{{contract}}", owned=True),
        Probe("GET", f"{_V1}/contracts/{{contract}}/cancellation-quote", owned=True),
        Probe("POST", f"{_V1}/contracts/{{contract}}/cancel", {}, owned=True),
    ],
    f"{_V1}/billing": [Probe("GET", f"{_V1}/billing/account")],
    # No invoice exists for A (one needs an ended month of service): an unknown id
    # must be 404 for everybody, and the member's list is their own.
    f"{_V1}/invoices": [
        Probe("GET", f"{_V1}/invoices/{{random}}"),
        Probe("GET", f"{_V1}/invoices"),
    ],
    f"{_V1}/notices": [Probe("GET", f"{_V1}/notices"), Probe("POST", f"{_V1}/notices", {})],
    f"{_V1}/inquiries": [
        Probe("GET", f"{_V1}/inquiries/{{inquiry}}", owned=True),
        Probe("GET", f"{_V1}/inquiries"),
        # Issue 18 (R26): the member's reply in the thread of their own inquiry.
        Probe("POST", f"{_V1}/inquiries/{{inquiry}}/replies", {"body": "追記です。"}, owned=True),
    ],
    # Issue 16 (R30–R34): the customer directory, the withdrawal desk, the order view,
    # contracts ended by ops, every service's audit trail (JSON and CSV). Writes carry an
    # unknown id or an incomplete body, so ops show they get in without changing A's data.
    f"{_V1}/ops/identity": [
        Probe("GET", f"{_V1}/ops/identity/documents"),
        Probe("GET", f"{_V1}/ops/identity/withdrawals"),
        Probe("GET", f"{_V1}/ops/identity/withdrawals?status=refused"),
        Probe("POST", f"{_V1}/ops/identity/withdrawals/{{random}}/confirm", ops_status=404),
        Probe(
            "POST",
            f"{_V1}/ops/identity/withdrawals/{{random}}/refuse",
            {"reason": "権限確認"},
            ops_status=404,
        ),
        Probe("GET", f"{_V1}/ops/identity/members?q=ﾔﾏﾀﾞ"),
        Probe("GET", f"{_V1}/ops/identity/members?q={{member}}"),
        Probe("GET", f"{_V1}/ops/identity/members/{{member}}"),
        Probe("GET", f"{_V1}/ops/identity/operators"),
        Probe(
            "POST", f"{_V1}/ops/identity/operators/{{random}}/second-factor-reset", ops_status=404
        ),
        Probe("GET", f"{_V1}/ops/identity/audit-log"),
        Probe("GET", f"{_V1}/ops/identity/audit-log?member_id={{member}}", accept="text/csv"),
    ],
    f"{_V1}/ops/catalog": [
        Probe("GET", f"{_V1}/ops/catalog/services"),
        Probe("GET", f"{_V1}/ops/catalog/audit-log"),
        Probe("GET", f"{_V1}/ops/catalog/audit-log", accept="text/csv"),
    ],
    f"{_V1}/ops/ordering": [
        Probe("GET", f"{_V1}/ops/ordering/orders"),
        Probe("GET", f"{_V1}/ops/ordering/orders?member_id={{member}}"),
        Probe("GET", f"{_V1}/ops/ordering/orders/{{order}}"),
        Probe("GET", f"{_V1}/ops/ordering/contracts"),
        Probe("GET", f"{_V1}/ops/ordering/contracts?member_id={{member}}"),
        Probe("GET", f"{_V1}/ops/ordering/contracts/{{contract}}"),
        Probe(
            "GET",
            f"{_V1}/ops/ordering/contracts/{{contract}}/cancellation-quote?end_date={{month_end}}",
        ),
        Probe("POST", f"{_V1}/ops/ordering/contracts/{{contract}}/cancel", {}, ops_status=422),
        Probe("GET", f"{_V1}/ops/ordering/audit-log"),
        Probe("GET", f"{_V1}/ops/ordering/audit-log?member_id={{member}}", accept="text/csv"),
    ],
    f"{_V1}/ops/billing": [
        Probe("GET", f"{_V1}/ops/billing/invoices"),
        Probe("GET", f"{_V1}/ops/billing/invoices?member_id={{member}}"),
        Probe("GET", f"{_V1}/ops/billing/audit-log"),
        Probe("GET", f"{_V1}/ops/billing/audit-log?member_id={{member}}", accept="text/csv"),
        Probe("GET", f"{_V1}/ops/billing/account-transfer-debits"),
        Probe("GET", f"{_V1}/ops/billing/failed-debits"),
        Probe("GET", f"{_V1}/ops/billing/account-transfer-debits/{{random}}/file", ops_status=404),
    ],
    f"{_V1}/ops/notification": [
        Probe("GET", f"{_V1}/ops/notification/inquiries"),
        Probe("GET", f"{_V1}/ops/notification/inquiries?member_id={{member}}"),
        Probe("GET", f"{_V1}/ops/notification/inquiries/{{inquiry}}"),
        Probe(
            "POST",
            f"{_V1}/ops/notification/inquiries/{{random}}/answers",
            {"body": "権限確認"},
            ops_status=404,
        ),
        Probe("GET", f"{_V1}/ops/notification/audit-log"),
        Probe("GET", f"{_V1}/ops/notification/audit-log?member_id={{member}}", accept="text/csv"),
    ],
}


@dataclass
class World:
    """Member A's resources, member B of the same company, and an operator."""

    a: Any  # conftest's Member
    b: Any
    ops: dict[str, str]
    ids: dict[str, str]


@pytest_asyncio.fixture(scope="module")
async def world(stack: Any) -> World:
    company = stack.corporate_number()
    a = await stack.member(number=company)
    b = await stack.member(number=company)
    ops = await stack.ops_headers()
    order = await stack.place_order(a)
    # Ops bring the order to a contract, as in the order journey.
    path = f"/api/v1/ops/ordering/orders/{order['id']}"
    for action in ("accept", "start-provisioning"):
        async with stack.http.post(f"{path}/{action}", headers=ops) as response:
            assert response.status == 200, await response.text()
    body = {"start_date": order["planned_start_date"]}
    async with stack.http.post(f"{path}/activate", json=body, headers=ops) as response:
        assert response.status == 200, await response.text()
    async with stack.http.get("/api/v1/contracts", headers=a.headers) as response:
        contract = (await response.json())["items"][0]
    inquiry = {"category": "general", "subject": "権限確認", "body": "確認です。"}
    async with stack.http.post("/api/v1/inquiries", json=inquiry, headers=a.headers) as response:
        assert response.status == 201, await response.text()
        inquiry_id = (await response.json())["id"]
    ids = {
        "order": order["id"],
        "contract": contract["id"],
        "inquiry": inquiry_id,
        "member": a.id,
        "month_end": _month_end(today_in_japan()).isoformat(),
        "random": str(uuid.uuid4()),
    }
    return World(a, b, ops, ids)


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    problem: dict[str, Any] | None

    def __str__(self) -> str:
        return f"{self.status} {self.body[:300]!r}"


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


async def call(stack: Any, probe: Probe, world: World, headers: dict[str, str]) -> Answer:
    path = probe.path.format(**world.ids)
    if probe.accept is not None:
        headers = {**headers, "Accept": probe.accept}
    async with stack.http.request(probe.method, path, json=probe.body, headers=headers) as r:
        body = await r.read()
        problem = await r.json(content_type=None) if r.status >= 400 else None
        return Answer(r.status, r.headers.get("Content-Type", ""), body, problem)


def test_every_route_has_a_matrix_entry() -> None:
    assert sorted(MATRIX) == sorted(route.prefix for route in ROUTES)


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.prefix)
async def test_route(route: Route, stack: Any, world: World) -> None:
    assert route.prefix in MATRIX, f"{route.prefix} is routed but has no authorization probe"
    for probe in MATRIX[route.prefix]:
        assert route.matches(probe.path.split("?")[0]), probe
        where = f"{probe.method} {probe.path}"

        anonymous = await call(stack, probe, world, stack.caller())
        if requires_token(route, probe.method):
            assert anonymous.status == 401, f"anonymous {where}: {anonymous}"
            assert anonymous.problem is not None
            assert anonymous.problem["code"] == "auth.required"
        else:
            assert anonymous.status not in (401, 403), f"anonymous {where}: {anonymous}"
        if anonymous.status >= 400:
            assert anonymous.content_type.startswith("application/problem+json"), where

        if route.access is Access.OPS:
            # Never data: nobody but ops reads A's record, trail or address here.
            assert world.a.email.encode() not in anonymous.body, f"anonymous {where}"
            for member in (world.a, world.b):
                answer = await call(stack, probe, world, member.headers)
                assert answer.status == 403, f"member {where}: {answer}"
                assert answer.problem is not None
                assert answer.content_type.startswith("application/problem+json"), where
                assert world.a.email.encode() not in answer.body, f"member {where}: {answer}"
            answer = await call(stack, probe, world, world.ops)
            assert answer.status == probe.ops_status, f"ops {where}: {answer}"
            if probe.accept == "text/csv":
                assert answer.content_type.startswith("text/csv"), f"ops {where}: {answer}"
        elif route.access is Access.MEMBER:
            await _member_cell(stack, probe, world, where)


async def _member_cell(stack: Any, probe: Probe, world: World, where: str) -> None:
    a = await call(stack, probe, world, world.a.headers)
    b = await call(stack, probe, world, world.b.headers)
    if probe.owned:
        # A reaches it (a business refusal such as 409 included); B does not learn it exists.
        assert a.status < 500 and a.status not in (401, 403, 404), f"A {where}: {a}"
        assert b.status == 404, f"B of the same company {where}: {b}"
        assert b.problem is not None and b.problem["code"].endswith("not_found"), str(b)
        return
    if "{random}" in probe.path:
        assert (a.status, b.status) == (404, 404), f"{where}: A {a}, B {b}"
        return
    # A resource of one's own (My Page, the billing account) or a list: each member
    # sees only their own, so B's answer never holds A's resources or member id.
    assert b.status == 200, f"B {where}: {b}"
    assert a.status == 200, f"A {where}: {a}"
    owned = [v for k, v in world.ids.items() if k != "month_end"]  # a date is no secret
    for secret in (world.a.id, world.a.email, *owned):
        assert secret.encode() not in b.body, f"B {where} sees A's {secret}: {b}"


async def test_internal_paths_are_never_forwarded(stack: Any, world: World) -> None:
    for path in (
        "/internal/jwks",
        "/api/v1/services/../../../internal/jwks",
        "/api/v1/services/%2e%2e/%2e%2e/%2e%2e/internal/jwks",
        "/api/v1//internal/jwks",
        f"/internal/members/{world.a.id}/withdrawal-blockers",
    ):
        async with stack.http.get(path, headers=world.ops) as response:
            body = await response.read()
        assert b'"keys"' not in body and b"blockers" not in body, path
        assert response.status in (400, 404), f"{path}: {response.status} {body[:200]!r}"

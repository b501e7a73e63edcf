"""Schemathesis against the gateway's merged OpenAPI document, as a member and as ops.

Every operation gets a few generated requests (valid and invalid, a fixed seed) and
each answer must be below 500, an error must be problem+json, and the answer must
match the documented status codes, content type and response schema.

Writes that would touch other callers are left out of the ops run: a notice may
open a maintenance window, which holds every member's writes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.integration

EXAMPLES_PER_MODE = 4
CONFORMANCE = (status_code_conformance, content_type_conformance, response_schema_conformance)
#: Operations the ops run skips (method, path prefix): maintenance windows are global.
OPS_SKIPPED = (("POST", "/api/v1/ops/notification/notices"),)


@dataclass
class Findings:
    sent: int = 0
    server_errors: list[str] = field(default_factory=list)
    not_problems: list[str] = field(default_factory=list)
    #: The first conformance failure of each operation ("METHOD /path" → message).
    conformance: dict[str, str] = field(default_factory=dict)
    unsatisfiable: list[str] = field(default_factory=list)


def fuzz(base_url: str, headers: dict[str, str], skip: tuple[tuple[str, str], ...]) -> Findings:
    """Run every operation of the merged document against the gateway."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    session = requests.Session()
    session.headers.update(headers)
    findings = Findings()
    for result in schema.get_all_operations():
        operation = result.ok()
        if any(operation.method.upper() == m and operation.path.startswith(p) for m, p in skip):
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _operation_test(operation, mode, base_url, session, findings)()
            except Unsatisfiable:
                # No invalid request can be written for it (nothing to negate).
                findings.unsatisfiable.append(f"{mode.value} {operation.method} {operation.path}")
    return findings


def _operation_test(
    operation: Any, mode: GenerationMode, base_url: str, session: Any, findings: Findings
) -> Any:
    key = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=EXAMPLES_PER_MODE,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, session=session)
        findings.sent += 1
        where = f"{case.method} {case.formatted_path} ({key})"
        # Schemathesis keeps header names in lower case.
        kind = response.headers.get("content-type", [""])[0]
        if response.status_code >= 500:
            findings.server_errors.append(f"{where}: {response.status_code} {response.text[:300]}")
        elif response.status_code >= 400 and not kind.startswith("application/problem+json"):
            findings.not_problems.append(f"{where}: {response.status_code} {kind}")
        if mode is GenerationMode.POSITIVE:
            try:
                case.validate_response(response, checks=list(CONFORMANCE))
            except (AssertionError, BaseExceptionGroup) as failure:  # a FailureGroup
                # The group's message lists its failures as "- ST103 Undocumented status code".
                lines = str(failure).strip().splitlines()
                kinds = [line.strip("- ") for line in lines if line.startswith("- ")]
                summary = f"{response.status_code} {kind}: {'; '.join(kinds or lines[:1])}"
                findings.conformance.setdefault(key, summary[:300])

    return run


async def _check(stack: Any, headers: dict[str, str], skip: tuple[tuple[str, str], ...]) -> None:
    found = await asyncio.to_thread(fuzz, stack.base_url, headers, skip)
    print(f"\nschemathesis: {found.sent} requests; {len(found.conformance)} not conforming")
    print(f"  no cases generated for: {found.unsatisfiable}")
    for key, failure in sorted(found.conformance.items()):
        print(f"  {key}: {failure}")
    assert found.sent > 100
    assert found.server_errors == [], "\n".join(found.server_errors)
    assert found.not_problems == [], "\n".join(found.not_problems)
    conformance = [f"{key}: {failure}" for key, failure in sorted(found.conformance.items())]
    assert conformance == [], "\n".join(conformance)


async def test_schemathesis_as_a_member(stack: Any) -> None:
    member = await stack.member()
    await _check(stack, member.headers, ())


async def test_schemathesis_as_ops(stack: Any) -> None:
    await _check(stack, await stack.ops_headers(), OPS_SKIPPED)

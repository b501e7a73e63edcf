"""Issue 19 item 11: a pattern ops save needs a maxLength and must not backtrack
catastrophically (ordering and the member's browser both run it)."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.domain.order_fields import InvalidOrderFields, check_order_fields
from catalog.service_layer.demo_lineup import DEMO_LINEUP


def _definition(**rules: Any) -> dict[str, Any]:
    spec = {"title": "項目", "x-title-en": "Field", "type": "string", **rules}
    return {
        "type": "object",
        "properties": {"code": spec},
        "required": [],
        "additionalProperties": False,
    }


def _problems(definition: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidOrderFields) as caught:
        check_order_fields(definition)
    return {problem.path: problem.message for problem in caught.value.problems}


def test_item11_a_pattern_without_max_length_is_refused() -> None:
    problems = _problems(_definition(pattern=r"^[0-9]{7}$"))
    assert problems == {"/properties/code/maxLength": "is required with a pattern"}
    check_order_fields(_definition(pattern=r"^[0-9]{7}$", maxLength=7))


@pytest.mark.parametrize(
    ("pattern", "risk"),
    [
        (r"^(a+)+$", "a quantifier inside a repeated group"),
        (r"^([a-z0-9-]+\.)*[a-z]{2,}$", "a quantifier inside a repeated group"),
        (r"^(a?){20}a{20}$", "a quantifier inside a repeated group"),
        (r"^(?:\d{1,3})+$", "a quantifier inside a repeated group"),
        (r"^(a|ab)+$", "an alternation inside a repeated group"),
        (r"^(\w)\1$", "a backreference"),
    ],
)
def test_item11_a_pattern_that_may_backtrack_catastrophically_is_refused(
    pattern: str, risk: str
) -> None:
    problems = _problems(_definition(pattern=pattern, maxLength=100))
    assert problems == {"/properties/code/pattern": f"may backtrack catastrophically: {risk}"}


@pytest.mark.parametrize(
    "pattern",
    [r"^[a-z0-9-]+\.[a-z0-9.-]+$", r"^0[0-9]{9,10}$", r"^\d{3}-\d{4}$", r"^(ab)+$", r"^(jp|com)$"],
)
def test_item11_linear_patterns_are_accepted(pattern: str) -> None:
    check_order_fields(_definition(pattern=pattern, maxLength=100))


def test_item11_the_demo_lineup_keeps_to_the_rule() -> None:
    for _slug, terms, _plans in DEMO_LINEUP:
        check_order_fields(terms.order_fields)

"""R13: the order-field subset catalog accepts, and how a standard validator applies it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from catalog.domain.order_fields import (
    EMPTY_ORDER_FIELDS,
    MAX_FIELDS,
    InvalidOrderFields,
    check_order_fields,
    option_errors,
)


def _labels(**rules: Any) -> dict[str, Any]:
    return {"title": "項目", "x-title-en": "Field", **rules}


VALID: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "申込項目",
    "x-title-en": "Order fields",
    "properties": {
        "domain": _labels(type="string", pattern=r"^[a-z0-9.-]+$", minLength=3, maxLength=253),
        "plan_code": _labels(type="string", enum=["a", "b"]),
        "seats": _labels(type="integer", minimum=1, maximum=500),
        "retention": _labels(type="integer", enum=[7, 30]),
        "recording": _labels(type="boolean", description="説明", **{"x-description-en": "Help"}),
        "survey_date": _labels(type="string", format="date"),
    },
    "required": ["domain", "seats"],
    "additionalProperties": False,
}


def _paths(definition: Any) -> set[str]:
    with pytest.raises(InvalidOrderFields) as caught:
        check_order_fields(definition)
    return {problem.path for problem in caught.value.problems}


def _with_property(spec: Any) -> dict[str, Any]:
    definition = copy.deepcopy(VALID)
    definition["properties"]["extra"] = spec
    return definition


def test_r13_every_kind_of_the_subset_is_accepted() -> None:
    check_order_fields(VALID)
    check_order_fields(EMPTY_ORDER_FIELDS)


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        (_labels(type="number"), "/properties/extra/type"),
        (_labels(type="array", items={"type": "string"}), "/properties/extra/type"),
        (_labels(type="object"), "/properties/extra/type"),
        (_labels(type="string", format="email"), "/properties/extra/type"),
        ({"$ref": "#/properties/seats", **_labels()}, "/properties/extra/type"),
        (_labels(type="string", oneOf=[{"minLength": 1}]), "/properties/extra/oneOf"),
        (_labels(type="integer", minLength=1), "/properties/extra/minLength"),
        (_labels(type="string", minimum=1), "/properties/extra/minimum"),
        (_labels(type="boolean", enum=[True]), "/properties/extra/enum"),
        (_labels(type="string", format="date", pattern="^2"), "/properties/extra/pattern"),
        (_labels(type="string", default="x"), "/properties/extra/default"),
        ({"type": "string", "x-title-en": "Only English"}, "/properties/extra/title"),
        ({"type": "string", "title": "日本語のみ"}, "/properties/extra/x-title-en"),
        (_labels(type="string", title=""), "/properties/extra/title"),
        (_labels(type="string", minLength=5, maxLength=2), "/properties/extra/minLength"),
        (_labels(type="string", maxLength=100_000), "/properties/extra/maxLength"),
        (_labels(type="string", minLength=-1), "/properties/extra/minLength"),
        (_labels(type="string", minLength=1.5), "/properties/extra/minLength"),
        (_labels(type="integer", minimum=10, maximum=1), "/properties/extra/minimum"),
        (_labels(type="integer", maximum="9"), "/properties/extra/maximum"),
        (_labels(type="integer", minimum=True), "/properties/extra/minimum"),
        (_labels(type="string", pattern="(unclosed"), "/properties/extra/pattern"),
        (_labels(type="string", pattern=""), "/properties/extra/pattern"),
        (_labels(type="string", enum=[]), "/properties/extra/enum"),
        (_labels(type="string", enum=["a", "a"]), "/properties/extra/enum"),
        (_labels(type="string", enum=["a", 1]), "/properties/extra/enum"),
        (_labels(type="integer", enum=[1, True]), "/properties/extra/enum"),
        ("not an object", "/properties/extra"),
    ],
)
def test_r13_a_property_outside_the_subset_is_refused(spec: Any, path: str) -> None:
    assert path in _paths(_with_property(spec))


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"type": "array"}, "/type"),
        ({"additionalProperties": True}, "/additionalProperties"),
        ({"additionalProperties": {"type": "string"}}, "/additionalProperties"),
        ({"allOf": []}, "/allOf"),
        ({"$defs": {}}, "/$defs"),
        ({"properties": []}, "/properties"),
        ({"required": ["nope"]}, "/required/0"),
        ({"required": ["seats", "seats"]}, "/required"),
        ({"required": "seats"}, "/required"),
        ({"title": 3}, "/title"),
    ],
)
def test_r13_a_root_outside_the_subset_is_refused(change: dict[str, Any], path: str) -> None:
    assert path in _paths({**copy.deepcopy(VALID), **change})


def test_r13_missing_additional_properties_false_is_refused() -> None:
    definition = copy.deepcopy(VALID)
    del definition["additionalProperties"]
    assert "/additionalProperties" in _paths(definition)


def test_r13_field_names_are_lower_snake_case() -> None:
    definition = copy.deepcopy(VALID)
    definition["properties"]["Bad-Name"] = _labels(type="boolean")
    assert "/properties/Bad-Name" in _paths(definition)


def test_r13_too_many_fields_are_refused() -> None:
    definition = copy.deepcopy(EMPTY_ORDER_FIELDS)
    definition["properties"] = {f"f{i}": _labels(type="boolean") for i in range(MAX_FIELDS + 1)}
    assert "/properties" in _paths(definition)


def test_r13_a_non_object_document_is_refused() -> None:
    assert _paths(["type", "object"]) == {"/"}


def test_r13_every_problem_is_reported_at_once() -> None:
    definition = copy.deepcopy(VALID)
    definition["properties"]["a"] = {"type": "number"}
    definition["properties"]["b"] = _labels(type="integer", minimum=5, maximum=1)
    definition["required"] = ["missing"]
    paths = _paths(definition)
    assert {"/properties/a/title", "/properties/a/type", "/properties/b/minimum"} <= paths
    assert "/required/0" in paths


def test_r13_the_metaschema_check_runs_on_subset_valid_documents() -> None:
    # "$schema" must be a URI reference per the metaschema; only the metaschema catches this.
    definition = {**copy.deepcopy(VALID), "$schema": 42}
    with pytest.raises(InvalidOrderFields) as caught:
        check_order_fields(definition)
    assert caught.value.problems[0].path == "/$schema"


def test_r13_options_are_validated_with_every_problem_at_once() -> None:
    options = {
        "domain": "AB",
        "plan_code": "z",
        "seats": 501,
        "retention": 8,
        "recording": "yes",
        "survey_date": "2026-02-30",
        "unknown": 1,
    }
    problems = option_errors(VALID, options)
    assert {p.path for p in problems} == {
        "/",
        "/domain",
        "/plan_code",
        "/seats",
        "/retention",
        "/recording",
        "/survey_date",
    }


def test_r13_required_fields_are_enforced_and_good_options_pass() -> None:
    assert [p.path for p in option_errors(VALID, {})] == ["/", "/"]
    good = {"domain": "example.co.jp", "seats": 10, "survey_date": "2026-12-28"}
    assert option_errors(VALID, good) == []

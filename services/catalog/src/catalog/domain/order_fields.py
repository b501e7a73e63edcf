"""A service's order fields (R13): the JSON Schema subset catalog accepts.

Each service defines the fields a member fills in when ordering it (a domain
name, a number of seats, a connection ID). The definition is a JSON Schema
(draft 2020-12) document that the web client renders as a form and that
ordering validates orders against with the ``jsonschema`` package, reporting
every problem at once. So that every client can render every definition, ops
may only save documents inside this subset:

Root
    ``{"type": "object", "properties": {...}, "required": [...],
    "additionalProperties": false}``; ``$schema``, ``title``/``x-title-en``
    and ``description``/``x-description-en`` are allowed. ``required`` lists
    distinct property names. At most ``MAX_FIELDS`` properties, named like
    ``domain_name`` (``^[a-z][a-z0-9_]{0,63}$``).

Every property
    ``title`` (the Japanese label) and ``x-title-en`` (the English label) are
    required; ``description``/``x-description-en`` (help text) are optional.
    Then exactly one of these kinds:

    - string: ``{"type": "string"}`` with optional ``minLength``,
      ``maxLength`` (0 ≤ min ≤ max ≤ ``MAX_STRING_LENGTH``), ``pattern`` (a
      regular expression Python compiles; write it ECMA-262-compatible, the
      browser uses it too) and ``enum``. A ``pattern`` needs a ``maxLength``
      and must not backtrack catastrophically (issue 19 item 11): no
      quantifier inside a repeated group (``(a+)+``, ``(a?){30}``), no
      alternation inside a repeated group (``(a|ab)+``), no backreference;
      ordering runs it only on strings within the ``maxLength``;
    - date: ``{"type": "string", "format": "date"}`` (``YYYY-MM-DD``), nothing
      else;
    - integer: ``{"type": "integer"}`` with optional ``minimum`` and
      ``maximum`` (integers, min ≤ max) and ``enum``;
    - boolean: ``{"type": "boolean"}``.

    ``enum`` is a non-empty list of distinct values of the property's type.

Anything else (``$ref``, ``oneOf``, ``number``, arrays, nested objects,
``additionalProperties`` other than ``false``, …) is refused. Validators
must run with ``jsonschema.FormatChecker()`` so that ``date`` is enforced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

MAX_FIELDS = 30
MAX_STRING_LENGTH = 1000
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

_ROOT_KEYS = frozenset(
    {
        "$schema",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "title",
        "x-title-en",
        "description",
        "x-description-en",
    }
)
_LABEL_KEYS = frozenset({"title", "x-title-en", "description", "x-description-en"})
_KIND_KEYS: dict[str, frozenset[str]] = {
    "string": frozenset({"type", "minLength", "maxLength", "pattern", "enum"}),
    "date": frozenset({"type", "format"}),
    "integer": frozenset({"type", "minimum", "maximum", "enum"}),
    "boolean": frozenset({"type"}),
}

#: The definition of a service that asks nothing beyond plan and quantity.
EMPTY_ORDER_FIELDS: dict[str, Any] = {
    "type": "object",
    "properties": {},
    "required": [],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class FieldIssue:
    """One reason a definition is refused; ``path`` is a JSON pointer into it."""

    path: str
    message: str


class InvalidOrderFields(ValueError):
    """An order-field definition outside the subset; ``problems`` lists every reason."""

    def __init__(self, problems: list[FieldIssue]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


def check_order_fields(definition: Any) -> None:
    """Accept ``definition`` or raise :class:`InvalidOrderFields` with every problem.

    The document must be a valid JSON Schema (checked against the 2020-12
    metaschema) and inside the subset described in this module.
    """
    problems = list(_subset_problems(definition))
    if not problems:
        try:
            Draft202012Validator.check_schema(definition)
        except SchemaError as exc:
            pointer = "".join(f"/{part}" for part in exc.path)
            problems.append(FieldIssue(pointer or "/", exc.message))
    if problems:
        raise InvalidOrderFields(problems)


def option_errors(definition: dict[str, Any], options: Any) -> list[FieldIssue]:
    """Every problem of ``options`` against an accepted ``definition``, as ordering finds them.

    Catalog itself never receives orders; this is the reference of how the
    subset is meant to be applied (standard validator plus the date format).
    """
    validator = Draft202012Validator(definition, format_checker=FormatChecker())
    return sorted(
        (
            FieldIssue("".join(f"/{p}" for p in error.absolute_path) or "/", error.message)
            for error in validator.iter_errors(options)
        ),
        key=lambda problem: problem.path,
    )


def _subset_problems(definition: Any) -> Iterator[FieldIssue]:
    if not isinstance(definition, dict):
        yield FieldIssue("/", "must be a JSON object")
        return
    for key in sorted(set(definition) - _ROOT_KEYS):
        yield FieldIssue(f"/{key}", "keyword outside the order-field subset")
    if definition.get("type") != "object":
        yield FieldIssue("/type", 'must be "object"')
    if definition.get("additionalProperties") is not False:
        yield FieldIssue("/additionalProperties", "must be false")
    yield from _label_problems("", definition, labels_required=False)

    properties = definition.get("properties")
    if not isinstance(properties, dict):
        yield FieldIssue("/properties", "must be an object")
        properties = {}
    if len(properties) > MAX_FIELDS:
        yield FieldIssue("/properties", f"at most {MAX_FIELDS} fields")
    for name, spec in properties.items():
        path = f"/properties/{name}"
        if not FIELD_NAME.fullmatch(name):
            yield FieldIssue(path, "field names are lower_snake_case, at most 64 characters")
        yield from _property_problems(path, spec)

    required = definition.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        yield FieldIssue("/required", "must be a list of field names")
        return
    if len(set(required)) != len(required):
        yield FieldIssue("/required", "lists a field twice")
    for index, name in enumerate(required):
        if name not in properties:
            yield FieldIssue(f"/required/{index}", f"{name!r} is not a defined field")


def _label_problems(
    path: str, spec: dict[str, Any], *, labels_required: bool
) -> Iterator[FieldIssue]:
    for key in ("title", "x-title-en") if labels_required else ():
        if key not in spec:
            yield FieldIssue(
                f"{path}/{key}", "a label in Japanese (title) and English (x-title-en) is required"
            )
    for key in _LABEL_KEYS & set(spec):
        value = spec[key]
        if not isinstance(value, str) or not value.strip():
            yield FieldIssue(f"{path}/{key}", "must be a non-empty string")


def _kind(spec: dict[str, Any]) -> str | None:
    kind = spec.get("type")
    if kind == "string" and "format" in spec:
        return "date" if spec["format"] == "date" else None
    return kind if kind in ("string", "integer", "boolean") else None


def _property_problems(path: str, spec: Any) -> Iterator[FieldIssue]:
    if not isinstance(spec, dict):
        yield FieldIssue(path, "must be an object")
        return
    yield from _label_problems(path, spec, labels_required=True)
    kind = _kind(spec)
    if kind is None:
        yield FieldIssue(
            f"{path}/type",
            'must be "string" (optionally with format "date"), "integer" or "boolean"',
        )
        return
    for key in sorted(set(spec) - _KIND_KEYS[kind] - _LABEL_KEYS):
        yield FieldIssue(f"{path}/{key}", f"keyword not allowed for a {kind} field")
    if kind == "string":
        yield from _string_problems(path, spec)
    elif kind == "integer":
        yield from _bounds_problems(path, spec, "minimum", "maximum", lower=None)
    if "enum" in spec:
        yield from _enum_problems(path, spec["enum"], str if kind == "string" else int)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bounds_problems(
    path: str, spec: dict[str, Any], low: str, high: str, *, lower: int | None
) -> Iterator[FieldIssue]:
    for key in (low, high):
        if key in spec:
            value = spec[key]
            if not _is_int(value):
                yield FieldIssue(f"{path}/{key}", "must be an integer")
            elif lower is not None and not lower <= value <= MAX_STRING_LENGTH:
                yield FieldIssue(f"{path}/{key}", f"must be 0–{MAX_STRING_LENGTH}")
    lo, hi = spec.get(low), spec.get(high)
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        yield FieldIssue(f"{path}/{low}", f"must not exceed {high}")


def _string_problems(path: str, spec: dict[str, Any]) -> Iterator[FieldIssue]:
    yield from _bounds_problems(path, spec, "minLength", "maxLength", lower=0)
    if "pattern" in spec:
        pattern = spec["pattern"]
        if not isinstance(pattern, str) or not pattern:
            yield FieldIssue(f"{path}/pattern", "must be a non-empty string")
        else:
            try:
                parsed = _parser.parse(pattern)
            except re.error as exc:
                yield FieldIssue(f"{path}/pattern", f"is not a valid regular expression: {exc}")
            else:
                if (risk := _backtracking_risk(parsed, repeated=False)) is not None:
                    yield FieldIssue(f"{path}/pattern", f"may backtrack catastrophically: {risk}")
            if "maxLength" not in spec:
                yield FieldIssue(f"{path}/maxLength", "is required with a pattern")


_REPEATS = frozenset({sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT})


def _backtracking_risk(items: Iterable[tuple[Any, Any]], *, repeated: bool) -> str | None:
    # Walks the parsed pattern; ``repeated``: inside a group that may match many times,
    # where one more quantifier or alternative multiplies the ways to fail.
    for op, arg in items:
        found = None
        if op in _REPEATS:
            if repeated:
                return "a quantifier inside a repeated group"
            _, high, body = arg
            found = _backtracking_risk(body, repeated=high is sre.MAXREPEAT or high > 1)
        elif op is sre.BRANCH:
            if repeated:
                return "an alternation inside a repeated group"
            for branch in arg[1]:
                found = found or _backtracking_risk(branch, repeated=False)
        elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
            return "a backreference"
        elif op is sre.SUBPATTERN:
            found = _backtracking_risk(arg[-1], repeated=repeated)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            found = _backtracking_risk(arg[1], repeated=repeated)
        elif op is sre.ATOMIC_GROUP:
            found = _backtracking_risk(arg, repeated=repeated)
        if found is not None:
            return found
    return None


def _enum_problems(path: str, values: Any, kind: type) -> Iterator[FieldIssue]:
    if not isinstance(values, list) or not values:
        yield FieldIssue(f"{path}/enum", "must be a non-empty list")
        return
    if not all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
        yield FieldIssue(
            f"{path}/enum", f"values must all be of the field's type ({kind.__name__})"
        )
    elif len(set(values)) != len(values):
        yield FieldIssue(f"{path}/enum", "values must be distinct")

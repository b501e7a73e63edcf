"""How the catalog's domain errors read as problem details."""

from __future__ import annotations

import uuid

from pydantic import ValidationError

from catalog.domain.model import InvalidServiceTerms, ServiceRuleViolation
from catalog.domain.order_fields import InvalidOrderFields
from servicekit.problems import Problem, validation_problem


def service_not_found(service_id: uuid.UUID | str) -> Problem:
    return Problem(
        404,
        "catalog.service_not_found",
        ja="指定されたサービスは見つかりません。",
        en=f"No such service: {service_id}.",
    )


def version_not_found() -> Problem:
    return Problem(
        404,
        "catalog.version_not_found",
        ja="指定されたサービスのバージョンは見つかりません。",
        en="No such service version.",
    )


def problem_of(exc: Exception) -> Problem:
    """The problem answering a domain error raised by a catalog command."""
    if isinstance(exc, InvalidOrderFields):
        return Problem(
            422,
            "catalog.order_fields_invalid",
            ja="申込項目の定義が対応範囲外です。",
            en="The order-field definition is outside the supported JSON Schema subset.",
            errors=[
                {
                    "field": f"order_fields{p.path}",
                    "code": "order_fields.subset",
                    "message": p.message,
                }
                for p in exc.problems
            ],
        )
    if isinstance(exc, InvalidServiceTerms):
        cause = exc.__cause__
        items = (
            validation_problem(cause.errors()).errors
            if isinstance(cause, ValidationError)
            else None
        )
        return Problem(
            422,
            "catalog.terms_invalid",
            ja="サービス条件に誤りがあります。",
            en=f"The service terms are invalid: {exc}",
            errors=items,
        )
    if isinstance(exc, ServiceRuleViolation):
        return Problem(409, exc.code, ja=exc.ja, en=exc.en)
    raise exc

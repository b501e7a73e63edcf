"""The catalog's refusals that need more than their kind to read as problem details.

Rule refusals (``catalog.domain.errors``: a service not found, a version not
found, a transition its state does not allow) are servicekit error kinds and are
answered by every service app on their own. The two refusals of bad terms name
the fields at fault, which only this edge can spell as the request's fields.
"""

from __future__ import annotations

from pydantic import ValidationError

from catalog.domain.errors import InvalidServiceTerms
from catalog.domain.order_fields import InvalidOrderFields
from servicekit.problems import Problem, validation_problem

#: What :func:`problem_of` answers.
INVALID_TERMS = (InvalidOrderFields, InvalidServiceTerms)


def problem_of(exc: InvalidOrderFields | InvalidServiceTerms) -> Problem:
    """The 422 answering terms a catalog command refused, naming each field at fault."""
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
    cause = exc.__cause__
    items = (
        validation_problem(cause.errors()).errors if isinstance(cause, ValidationError) else None
    )
    return Problem(
        422,
        "catalog.terms_invalid",
        ja="サービス条件に誤りがあります。",
        en=f"The service terms are invalid: {exc}",
        errors=items,
    )

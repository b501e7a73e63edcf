"""Service terms and plans for unit tests: valid unless a test changes them."""

from __future__ import annotations

import uuid
from typing import Any

from catalog.domain.model import Plan, ServiceTerms
from catalog.domain.order_fields import EMPTY_ORDER_FIELDS


def terms(**changes: Any) -> ServiceTerms:
    """Valid terms of an office service, with ``changes`` applied."""
    values: dict[str, Any] = {
        "category": "office",
        "name": {"ja": "テスト", "en": "Test"},
        "description": {"ja": "説明", "en": "Description"},
        "order_unit": 1,
        "max_quantity_per_order": 10,
        "takes_phone_orders": True,
        "order_fields": EMPTY_ORDER_FIELDS,
        "lead_time_business_days": 3,
        "activation_notice": {"kind": "on_activation"},
        "requires_corporation": False,
        "allows_account_transfer": True,
        "free_first_month": False,
        "cancellable_on_site": False,
        "early_termination": {"kind": "none"},
        "minimum_term_months": 0,
        "withdrawal_requires_contracts_ended": False,
    }
    return ServiceTerms.model_validate({**values, **changes})


def plan(monthly_fee: int = 1000, initial_fee: int = 500, *, en: str = "Standard") -> Plan:
    """A new plan with its own id."""
    return Plan(
        plan_id=uuid.uuid4(),
        name={"ja": en, "en": en},
        monthly_fee=monthly_fee,
        initial_fee=initial_fee,
    )

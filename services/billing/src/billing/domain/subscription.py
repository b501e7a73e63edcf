"""The copy billing keeps of each contract (R28): its recorded price, terms and dates,
from ordering's ``contract.activated`` and ``contract.cancelled``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

#: A name in Japanese and English, as stored (``{"ja": ..., "en": ...}``).
Label = dict[str, Any]


@dataclass(slots=True)
class Subscription:
    """One contract as billing prices it: what ordering recorded, never re-read from
    the catalog (the money rules read it as ``charges.BillableTerms``)."""

    contract_id: uuid.UUID
    member_id: uuid.UUID
    service_id: uuid.UUID
    service_name: Label
    plan_name: Label
    quantity: int
    monthly_fee: int
    initial_fee: int
    free_first_month: bool
    allows_account_transfer: bool
    start_date: date
    end_date: date | None
    early_termination_fee: int
    contract_version: int
    created_at: datetime

    def cancel(self, *, end_date: date, early_termination_fee: int, contract_version: int) -> bool:
        """Bill up to ``end_date`` and put the fee on the final invoice (R20); an event
        older than the copy is ignored. Whether the copy changed."""
        if contract_version <= self.contract_version:
            return False
        self.end_date = end_date
        self.early_termination_fee = early_termination_fee
        self.contract_version = contract_version
        return True

"""An invoice's amounts per tax category (R25): tax once per invoice, rounded down."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

#: The standard consumption tax rate, in percent (R25: the rate printed is 10%).
TAX_RATE_PERCENT = 10


def consumption_tax(taxable_subtotal: int) -> int:
    """Consumption tax on the taxable subtotal of a whole invoice, rounded down to the
    yen — computed once per invoice, never per line (R25)."""
    return taxable_subtotal * TAX_RATE_PERCENT // 100


class Priced(Protocol):
    """An invoice line or a charge: an amount in one tax category."""

    @property
    def amount(self) -> int: ...

    @property
    def taxable(self) -> bool: ...


@dataclass(frozen=True)
class InvoiceTotals:
    """Subtotal per tax category, the tax on the 10% category and the total."""

    taxable_subtotal: int
    non_taxable_subtotal: int
    tax: int

    @property
    def total(self) -> int:
        return self.taxable_subtotal + self.tax + self.non_taxable_subtotal

    @classmethod
    def of(cls, charges: Iterable[Priced]) -> InvoiceTotals:
        """Totals of the given lines."""
        taxable = non_taxable = 0
        for charge in charges:
            if charge.taxable:
                taxable += charge.amount
            else:
                non_taxable += charge.amount
        return cls(taxable, non_taxable, consumption_tax(taxable))

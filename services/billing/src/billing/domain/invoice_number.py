"""Invoice numbers: one gapless sequence per issuer and year (R25)."""

from __future__ import annotations

from dataclasses import dataclass


def invoice_number(year: int, sequence: int) -> str:
    """The printed number of the ``sequence``-th invoice of ``year`` (``2026-000001``)."""
    if sequence < 1:
        raise ValueError("invoice sequences start at 1")
    return f"{year:04d}-{sequence:06d}"


@dataclass
class InvoiceNumbers:
    """The issuer's numbers of one year, held (locked) while invoices are issued."""

    registration_number: str
    year: int
    last_sequence: int

    def take(self) -> str:
        """The next number; numbers are taken only for invoices issued, so none is skipped."""
        self.last_sequence += 1
        return invoice_number(self.year, self.last_sequence)

"""Invoice numbers: one gapless sequence per issuer and year (R25)."""

from __future__ import annotations


def invoice_number(year: int, sequence: int) -> str:
    """The printed number of the ``sequence``-th invoice of ``year`` (``2026-000001``)."""
    if sequence < 1:
        raise ValueError("invoice sequences start at 1")
    return f"{year:04d}-{sequence:06d}"

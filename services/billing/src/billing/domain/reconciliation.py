"""Deposit reconciliation rules (入金消込, R36): how a bank statement's credit line is
matched to an open invoice. Pure functions, no I/O.

A line is matched, in this order:

1. **By reference** — an invoice number (``2026-000123``; full-width digits and a
   long-vowel mark or any dash as the separator are read too, the dash may be left
   out) in the line's reference naming a known, not voided invoice. The amount may
   differ: less leaves a balance open (``partial``), more is recorded and flagged
   (``overpaid``).
2. **By exact open amount and payer kana** — the open invoices (issued or overdue)
   whose amount still due equals the credit and whose member's billing name kana
   equals the payer's, both compared by :func:`payer_key`.

One candidate records a payment; several wait for ops as ``ambiguous`` (with the
candidates listed); none wait as ``unmatched``.

:func:`payer_key` — how payer names are compared: NFKC (half-width katakana
widened, voiced marks joined, full-width letters and digits narrowed), hiragana
read as katakana, small kana as large (``ｧｨｩｪｫｯｬｭｮ`` → ``アイウエオツヤユヨ``:
bank payer names have no small kana, so ``ｷﾔﾉﾝ`` is ``キャノン``), any dash or
hyphen as the long-vowel mark ``ー`` (banks write ``ﾋﾞｽﾞﾓ-ﾙ``), letters upper-cased,
spaces of either width and the middle dot removed, and the legal-form marks banks
add (``ｶ)`` / ``(ｶ`` for 株式会社, ``ﾕ)`` 有限会社, ``ﾄﾞ)`` 合同会社, ``ﾒ)``, ``ｼ)``,
``ｲ)``, ``ｻﾞｲ)``, ``ｼﾔ)``, ``ｶﾞｸ)``, ``ﾎｳ)``) dropped wherever they stand.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from billing.domain.invoice import Invoice

#: How a line was matched to its invoice.
MatchMethod = Literal["reference", "amount_and_kana", "manual"]
#: What a recorded payment did to its invoice: paid it off, left a balance, or paid more.
Settlement = Literal["full", "partial", "overpaid"]

# ぁ–ゖ, ゝゞ → ァ–ヶ, ヽヾ (the katakana block is the hiragana block + 0x60).
_HIRAGANA = {code: code + 0x60 for code in (*range(0x3041, 0x3097), 0x309D, 0x309E)}
_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_DASHES = re.compile(r"[-‐‑‒–—―−ｰ~〜]")
_DROPPED = re.compile(r"[\s・.,、。]")
# Legal-form abbreviations, already widened, small-kana-free and dash-normalised.
_FORMS = "|".join(("カ", "ユ", "ド", "メ", "シ", "イ", "ザイ", "シヤ", "ガク", "ホウ"))
_LEGAL_FORM = re.compile(rf"^(?:{_FORMS})\)|\((?:{_FORMS})\)?$|\((?:{_FORMS})\)")
_NUMBER = re.compile(r"(?<!\d)(20\d{2}) ?[-ー]? ?(\d{6})(?!\d)")


def widened(text: str) -> str:
    """``text`` in NFKC with hiragana as katakana (the common first step)."""
    return unicodedata.normalize("NFKC", text).translate(_HIRAGANA)


def payer_key(kana: str | None) -> str:
    """The form payer names are compared in (see the module's docstring); ``""`` for
    none, which matches nothing."""
    if not kana:
        return ""
    text = widened(kana).translate(_SMALL).upper()
    text = _DROPPED.sub("", text)
    text = _DASHES.sub("ー", text)
    return _LEGAL_FORM.sub("", text)


def reference_text(reference: str) -> str:
    """A reference as compared and stored for identity: NFKC, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", reference).split())


def invoice_numbers_in(reference: str) -> tuple[str, ...]:
    """The invoice numbers (``YYYY-NNNNNN``) a reference names, in order, once each."""
    text = _DASHES.sub("ー", reference_text(reference))
    found: dict[str, None] = {}
    for year, sequence in _NUMBER.findall(text):
        found[f"{year}-{sequence}"] = None
    return tuple(found)


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice as matching sees it: what is still due and its member's payer key."""

    id: uuid.UUID
    invoice_number: str
    amount_due: int
    payer_key: str
    status: str

    @classmethod
    def of(cls, invoice: Invoice, payer_key: str) -> OpenInvoice:
        """``invoice`` as it stands now, of a member with ``payer_key``."""
        return cls(
            invoice.id, invoice.invoice_number, invoice.amount_due, payer_key, invoice.status
        )

    @property
    def is_open(self) -> bool:
        """Issued or overdue with something still to pay."""
        return self.status in ("issued", "overdue") and self.amount_due > 0


@dataclass(frozen=True, slots=True)
class Decision:
    """What matching decided for one line."""

    outcome: Literal["match", "ambiguous", "unmatched"]
    invoice_id: uuid.UUID | None = None
    method: MatchMethod | None = None
    candidates: tuple[uuid.UUID, ...] = ()


def decide(
    *,
    amount: int,
    payer_kana: str,
    referenced: Sequence[OpenInvoice],
    candidates: Sequence[OpenInvoice],
) -> Decision:
    """Match one credit line (R36).

    ``referenced``: the invoices whose numbers the reference names (any state);
    ``candidates``: open invoices that may be of this payer (the caller may narrow
    them by amount and key; every rule is checked again here).
    """
    named = [i for i in referenced if i.status != "void"]
    if len(named) == 1:
        return Decision("match", named[0].id, "reference")
    if len(named) > 1:
        return Decision("ambiguous", candidates=tuple(i.id for i in named))
    key = payer_key(payer_kana)
    if not key:
        return Decision("unmatched")
    fitting = [c for c in candidates if c.is_open and c.amount_due == amount and c.payer_key == key]
    unique = list({c.id: c for c in fitting}.values())
    if len(unique) == 1:
        return Decision("match", unique[0].id, "amount_and_kana")
    if len(unique) > 1:
        return Decision("ambiguous", candidates=tuple(c.id for c in unique))
    return Decision("unmatched")


def settlement_of(amount: int, amount_due: int) -> tuple[Settlement, int]:
    """What a payment of ``amount`` on ``amount_due`` still open does, and the sum paid
    over what was due (0 unless overpaid)."""
    if amount < amount_due:
        return "partial", 0
    if amount == amount_due:
        return "full", 0
    return "overpaid", amount - max(amount_due, 0)

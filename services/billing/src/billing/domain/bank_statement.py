"""Bank statements (入金明細) and their lines (R36): the CSV ops upload, read and checked
whole before anything is written, and the import aggregate recording each line's
outcome.

**The file.** A header row, then one credit per row. Columns, found by their header
(any order; other columns are ignored; the Japanese names are accepted too):

| column | also | value |
|---|---|---|
| ``value_date`` | 入金日, 取引日, 勘定日 | ``YYYY-MM-DD`` (or ``YYYY/MM/DD``, ``YYYYMMDD``) |
| ``amount`` | 金額, 入金額 | the credit in whole yen, > 0 (``12,100`` and ``¥`` are read) |
| ``payer_kana`` | 振込依頼人名, 依頼人名 | the payer's name in kana as the bank prints it |
| ``reference`` | 摘要, 備考 | free text, e.g. the invoice number; may be empty |

UTF-8 (with or without a BOM) or Shift_JIS (read as Windows-31J), told apart by
whether the bytes are valid UTF-8. Any bad cell refuses the whole file naming
its line (the header is line 1) and column.

**Line identity.** A line is identified by a hash of its content — value date,
amount, payer (compared as :func:`~billing.domain.reconciliation.payer_key`) and
reference (NFKC) — and its *occurrence*: the n-th identical line of the same
file. Importing the same file again, the same file in another encoding, or a
later statement overlapping the period therefore records nothing new for the
lines already imported (they are kept as ``duplicate`` of the first), while two
genuinely identical credits in one file (same day, payer, amount and reference)
stay two lines. A later statement showing one of two such credits again is read
as the first of them: banks give no transaction id in this format, so identical
credits are told apart only by their count within one file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from billing.domain.reconciliation import (
    Decision,
    MatchMethod,
    Settlement,
    payer_key,
    reference_text,
    settlement_of,
    widened,
)
from servicekit.aggregate import Aggregate
from servicekit.errors import Conflict, Invalid, NotFound

#: A line's outcome: a payment recorded, waiting for ops, or already imported earlier.
LineStatus = Literal["matched", "unmatched", "ambiguous", "duplicate"]
Encoding = Literal["utf-8", "utf-8-sig", "shift_jis"]

#: The documented columns and the header names read as each.
COLUMNS: dict[str, tuple[str, ...]] = {
    "value_date": ("value_date", "入金日", "取引日", "勘定日"),
    "amount": ("amount", "金額", "入金額"),
    "payer_kana": ("payer_kana", "振込依頼人名", "依頼人名"),
    "reference": ("reference", "摘要", "備考"),
}
MAX_LINES = 20_000
MAX_AMOUNT = 10**12
_BOM = b"\xef\xbb\xbf"
_DATE = re.compile(r"^(\d{4})([-/.]?)(\d{1,2})\2(\d{1,2})$")


class StatementInvalid(Invalid):
    """The file cannot be read as a bank statement; names the line and column."""

    def __init__(self, *, line: int, column: str | None, problem: str, ja: str, en: str) -> None:
        where_ja = f"{line}行目" + (f"の列「{column}」" if column else "")
        where_en = f"line {line}" + (f", column {column}" if column else "")
        super().__init__(
            "billing.statement_invalid",
            ja=f"入金明細ファイルを読み込めません（{where_ja}）: {ja}",
            en=f"The bank statement cannot be read ({where_en}): {en}",
            errors=[
                {
                    "field": f"line {line}" + (f".{column}" if column else ""),
                    "code": problem,
                    "ja": ja,
                    "en": en,
                }
            ],
            line=line,
            column=column,
            problem=problem,
        )


class StatementNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "billing.statement_not_found",
            ja="入金明細の取込みが見つかりません。",
            en="No such bank statement import.",
        )


class StatementLineNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "billing.statement_line_not_found",
            ja="入金明細の行が見つかりません。",
            en="No such line in this bank statement.",
        )


class LineAlreadyMatched(Conflict):
    """A matched line has its payment; a duplicate line was imported (and matched or
    left waiting) on its first import."""

    def __init__(self, status: str) -> None:
        super().__init__(
            "billing.statement_line_matched"
            if status == "matched"
            else "billing.statement_line_duplicate",
            ja="この行はすでに消込済みです。"
            if status == "matched"
            else "この行は以前の取込みで取り込まれています（元の行で消込してください）。",
            en="This line is already matched."
            if status == "matched"
            else "This line was imported before; match it on its first import.",
            status=status,
        )


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """A checked credit line of the file."""

    position: int
    file_line: int
    value_date: date
    amount: int
    payer_kana: str
    reference: str
    line_key: str


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    sha256: str
    encoding: Encoding
    lines: tuple[ParsedLine, ...]


def _decode(content: bytes) -> tuple[str, Encoding]:
    if content.startswith(_BOM):
        try:
            return content[len(_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _undecodable(content, exc.start + len(_BOM)) from None
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp932"), "shift_jis"
    except UnicodeDecodeError as exc:
        raise _undecodable(content, exc.start) from None


def _undecodable(content: bytes, at: int) -> StatementInvalid:
    return StatementInvalid(
        line=content[:at].count(b"\n") + 1,
        column=None,
        problem="encoding",
        ja="UTF-8 でも Shift_JIS でもない文字があります。",
        en="the file is neither UTF-8 nor Shift_JIS",
    )


def _columns(header: list[str]) -> dict[str, int]:
    names = [widened(h).strip().lower() for h in header]
    found: dict[str, int] = {}
    for column, aliases in COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                found[column] = index
                break
        else:
            raise StatementInvalid(
                line=1,
                column=column,
                problem="missing_column",
                ja=f"見出し行に列「{column}」（{'・'.join(aliases[1:])}）がありません。",
                en=f"the header row has no {column} column (expected one of: {', '.join(aliases)})",
            )
    return found


def _date(text: str, line: int) -> date:
    match = _DATE.match(widened(text).strip())
    if match and (match.group(2) or len(text.strip()) == 8):
        try:
            return date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
        except ValueError:
            pass
    raise StatementInvalid(
        line=line,
        column="value_date",
        problem="invalid_date",
        ja=f"日付として読めません（{text!r}）。YYYY-MM-DD で記入してください。",
        en=f"{text!r} is not a date (YYYY-MM-DD)",
    )


def _amount(text: str, line: int) -> int:
    cleaned = widened(text).strip().replace(",", "").removeprefix("¥").removesuffix("円")
    if (
        cleaned.isascii()
        and cleaned.isdigit()
        and len(cleaned) <= 13
        and 0 < int(cleaned) < MAX_AMOUNT
    ):
        return int(cleaned)
    raise StatementInvalid(
        line=line,
        column="amount",
        problem="invalid_amount",
        ja=f"金額は1円以上の整数（円）で記入してください（{text!r}）。",
        en=f"{text!r} is not a credit in whole yen (a positive integer)",
    )


def _text(text: str, line: int, column: str, limit: int) -> str:
    value = text.strip()
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise StatementInvalid(
            line=line,
            column=column,
            problem="invalid_text",
            ja=f"{limit}文字以内の1行の文字列で記入してください。",
            en=f"at most {limit} characters on one line",
        )
    return value


def line_key(value_date: date, amount: int, payer_kana: str, reference: str, nth: int) -> str:
    """The identity of a line: its content's hash and its occurrence in the file."""
    content = "\x1f".join(
        (value_date.isoformat(), str(amount), payer_key(payer_kana), reference_text(reference))
    )
    return hashlib.sha256(f"{content}\x1e{nth}".encode()).hexdigest()


def parse_statement(content: bytes) -> ParsedStatement:
    """Read and check the whole file (see the module's docstring); refuses it at its
    first bad line naming the line and column."""
    text, encoding = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise StatementInvalid(
                line=1,
                column=None,
                problem="missing_header",
                ja="見出し行（value_date,amount,payer_kana,reference）がありません。",
                en="the header row (value_date,amount,payer_kana,reference) is missing",
            )
        index = _columns(header)
        lines: list[ParsedLine] = []
        seen: Counter[tuple[date, int, str, str]] = Counter()
        for row in reader:
            file_line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(lines) >= MAX_LINES:
                raise StatementInvalid(
                    line=file_line,
                    column=None,
                    problem="too_many_lines",
                    ja=f"1ファイル{MAX_LINES}行までです。",
                    en=f"at most {MAX_LINES} lines a file",
                )
            cells = {column: row[at] if at < len(row) else None for column, at in index.items()}
            for column in ("value_date", "amount"):
                if not (cells[column] or "").strip():
                    raise StatementInvalid(
                        line=file_line,
                        column=column,
                        problem="missing_value",
                        ja="値がありません。",
                        en="the value is missing",
                    )
            value_date = _date(cells["value_date"] or "", file_line)
            amount = _amount(cells["amount"] or "", file_line)
            payer = _text(cells["payer_kana"] or "", file_line, "payer_kana", 200)
            reference = _text(cells["reference"] or "", file_line, "reference", 500)
            same = (value_date, amount, payer_key(payer), reference_text(reference))
            seen[same] += 1
            lines.append(
                ParsedLine(
                    position=len(lines) + 1,
                    file_line=file_line,
                    value_date=value_date,
                    amount=amount,
                    payer_kana=payer,
                    reference=reference,
                    line_key=line_key(value_date, amount, payer, reference, seen[same]),
                )
            )
    except csv.Error as exc:
        raise StatementInvalid(
            line=reader.line_num or 1,
            column=None,
            problem="csv",
            ja="CSV として読めません。",
            en=f"not valid CSV ({exc})",
        ) from None
    if not lines:
        raise StatementInvalid(
            line=2,
            column=None,
            problem="no_lines",
            ja="入金の行がありません。",
            en="the file has no credit lines",
        )
    return ParsedStatement(hashlib.sha256(content).hexdigest(), encoding, tuple(lines))


@dataclass(eq=False)
class StatementLine:
    """One credit of a statement and what became of it."""

    id: uuid.UUID
    position: int
    file_line: int
    line_key: str
    value_date: date
    amount: int
    payer_kana: str
    reference: str
    status: LineStatus
    method: MatchMethod | None = None
    invoice_id: uuid.UUID | None = None
    payment_id: uuid.UUID | None = None
    settlement: Settlement | None = None
    overpaid_amount: int = 0
    candidate_invoice_ids: tuple[uuid.UUID, ...] = ()
    duplicate_of: uuid.UUID | None = None
    matched_by: str | None = None
    matched_at: datetime | None = None
    #: The matched invoice's number (read with the line, for display).
    invoice_number: str | None = None

    @property
    def waiting(self) -> bool:
        """Unmatched or ambiguous: waits for ops to match it by hand."""
        return self.status in ("unmatched", "ambiguous")


@dataclass(eq=False)
class BankStatement(Aggregate):
    """One uploaded statement file and its lines (R36)."""

    id: uuid.UUID
    file_name: str | None
    file_sha256: str
    encoding: Encoding
    imported_by: str
    imported_at: datetime
    version: int = 1
    lines: list[StatementLine] = field(default_factory=list)
    #: Lines whose outcome changed since loading (written on save).
    changed_lines: set[uuid.UUID] = field(default_factory=set)
    #: The counts of a listed import, whose lines are not loaded.
    tallies: dict[str, int] | None = None

    @classmethod
    def start(
        cls, parsed: ParsedStatement, *, file_name: str | None, actor: str, now: datetime
    ) -> BankStatement:
        return cls(
            id=uuid.uuid4(),
            file_name=file_name,
            file_sha256=parsed.sha256,
            encoding=parsed.encoding,
            imported_by=actor,
            imported_at=now,
        )

    def take(
        self,
        parsed: ParsedLine,
        *,
        decision: Decision | None,
        duplicate_of: uuid.UUID | None = None,
    ) -> StatementLine:
        """Add a line: a duplicate of an earlier import's line, or as matching decided
        (a ``match`` stays unmatched until :meth:`matched` records its payment)."""
        if duplicate_of is not None:
            status: LineStatus = "duplicate"
        elif decision is not None and decision.outcome == "ambiguous":
            status = "ambiguous"
        else:
            status = "unmatched"
        line = StatementLine(
            id=uuid.uuid4(),
            position=parsed.position,
            file_line=parsed.file_line,
            line_key=parsed.line_key,
            value_date=parsed.value_date,
            amount=parsed.amount,
            payer_kana=parsed.payer_kana,
            reference=parsed.reference,
            status=status,
            candidate_invoice_ids=decision.candidates if decision else (),
            duplicate_of=duplicate_of,
        )
        self.lines.append(line)
        return line

    def hint(self, line_id: uuid.UUID, invoice_ids: tuple[uuid.UUID, ...]) -> None:
        """Give an unmatched line the open invoices of its amount (any payer) as hints
        for the manual match."""
        line = self.line(line_id)
        if line.status == "unmatched":
            line.candidate_invoice_ids = invoice_ids

    def line(self, line_id: uuid.UUID) -> StatementLine:
        found = next((x for x in self.lines if x.id == line_id), None)
        if found is None:
            raise StatementLineNotFound()
        return found

    def check_waiting(self, line_id: uuid.UUID) -> StatementLine:
        """The line, if it still waits for a match (404 unknown, 409 matched/duplicate)."""
        line = self.line(line_id)
        if not line.waiting:
            raise LineAlreadyMatched(line.status)
        return line

    def matched(
        self,
        line_id: uuid.UUID,
        *,
        invoice_id: uuid.UUID,
        invoice_number: str,
        payment_id: uuid.UUID,
        amount_due_before: int,
        method: MatchMethod,
        actor: str,
        now: datetime,
    ) -> StatementLine:
        """The line's payment was recorded on ``invoice_id``: partial leaves a balance,
        more than was due is flagged ``overpaid`` with the excess."""
        line = self.check_waiting(line_id)
        line.settlement, line.overpaid_amount = settlement_of(line.amount, amount_due_before)
        line.status = "matched"
        line.method = method
        line.invoice_id = invoice_id
        line.invoice_number = invoice_number
        line.payment_id = payment_id
        line.matched_by = actor
        line.matched_at = now
        self.changed_lines.add(line.id)
        self.version += 1
        return line

    def counts(self) -> dict[str, int]:
        """Lines by outcome, and the overpaid and partly paying ones."""
        if self.tallies is not None and not self.lines:
            return dict(self.tallies)
        counted = Counter(x.status for x in self.lines)
        return {
            "lines": len(self.lines),
            "matched": counted["matched"],
            "unmatched": counted["unmatched"],
            "ambiguous": counted["ambiguous"],
            "duplicate": counted["duplicate"],
            "overpaid": sum(1 for x in self.lines if x.settlement == "overpaid"),
            "partial": sum(1 for x in self.lines if x.settlement == "partial"),
        }

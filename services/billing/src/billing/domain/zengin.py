"""The Zengin (全銀協) account-transfer (口座振替) file format (R35): pure encoding and
decoding of its fixed-length records, and the conversion of names to the half-width
katakana the format allows.

A file is 120-byte records in Shift_JIS, each ended by CRLF: one header (データ区分 1,
種別コード 91), one data record (2) per debit, one trailer (8) with the count and
total (and, in a result file, how many were debited and how many failed), and one
end record (9). The request file carries result code 0 in every data record; the
bank's result file has the same layout with each record's result code set.

Layouts (byte widths):

- header: 区分 1 · 種別コード 2 (``91``) · コード区分 1 (``0`` = JIS) · 委託者コード 10 ·
  委託者名 40 · 引落日 MMDD 4 · 取引銀行番号 4 · 取引銀行名 15 · 取引支店番号 3 ·
  取引支店名 15 · 預金種目 1 · 口座番号 7 · ダミー 17
- data: 区分 1 · 引落銀行番号 4 · 引落銀行名 15 · 引落支店番号 3 · 引落支店名 15 ·
  ダミー 4 · 預金種目 1 · 口座番号 7 · 預金者名 30 · 引落金額 10 · 新規コード 1 ·
  顧客番号 20 · 振替結果コード 1 · ダミー 8
- trailer: 区分 1 · 合計件数 6 · 合計金額 12 · 振替済件数 6 · 振替済金額 12 ·
  振替不能件数 6 · 振替不能金額 12 · ダミー 65
- end: 区分 1 · ダミー 119
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

RECORD_LENGTH = 120
KIND_CODE = "91"
ENCODING = "shift_jis"
NEWLINE = b"\r\n"

#: 預金種目: 1 普通 (ordinary), 2 当座 (current).
ACCOUNT_TYPE_CODES = {"ordinary": "1", "current": "2"}
ACCOUNT_TYPES = {code: name for name, code in ACCOUNT_TYPE_CODES.items()}

#: 振替結果コード → (meaning, ja, en). 0 is the only code that collects money.
RESULT_CODES: dict[str, tuple[str, str, str]] = {
    "0": ("collected", "振替済", "debited"),
    "1": ("insufficient_funds", "資金不足", "insufficient funds"),
    "2": ("no_account", "取引なし（口座なし）", "no such account"),
    "3": ("stopped_by_payer", "預金者の都合による振替停止", "stopped by the payer"),
    "4": ("no_mandate", "口座振替依頼書なし", "no account-transfer mandate"),
    "8": ("stopped_by_consignor", "委託者の都合による振替停止", "stopped by the mall"),
    "9": ("other", "その他", "other reason"),
}

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_SMALL_TO_LARGE = str.maketrans("ァィゥェォャュョッヮヵヶ", "アイウエオヤユヨツワカケ")
# Full-width katakana (after NFKD: voiced marks separate) → half-width.
_FULL = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホ"
    "マミムメモヤユヨラリルレロワヲンヰヱヴ"
)
_HALF = [
    *"ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ",
    "ｲ",
    "ｴ",
    "ｳﾞ",
]
_KANA_TO_HALF = dict(zip(_FULL, _HALF, strict=True))
_MARKS = {"\u3099": "ﾞ", "\u309a": "ﾟ", "\u309b": "ﾞ", "\u309c": "ﾟ"}
_SYMBOLS = {
    "ー": "-",
    "－": "-",
    "‐": "-",
    "―": "-",
    "ｰ": "-",
    "・": ".",
    "･": ".",
    "（": "(",
    "）": ")",
    "　": " ",
    "，": ",",
    "．": ".",
    "／": "/",
    "「": "｢",
    "」": "｣",
    "｡": ".",
    "、": ",",
}
#: Characters a Zengin kana field may hold.
_ALLOWED = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ().,-/\\｢｣ﾞﾟ") | set(
    "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ"
)
_HALF_SMALL = str.maketrans("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ")


def to_zengin_kana(text: str) -> str:
    """``text`` in the half-width katakana of Zengin files: hiragana and full-width
    katakana become half-width (voiced sounds as base + ﾞ/ﾟ), small kana become large,
    ー becomes ``-``, latin letters upper case. ``ValueError`` for a character the
    format cannot hold (kanji, for one)."""
    out: list[str] = []
    for char in text:
        if char in _SYMBOLS:
            out.append(_SYMBOLS[char])
            continue
        code = ord(char)
        if _HIRAGANA_START <= code <= _HIRAGANA_END:
            char = chr(code + 0x60)
        for part in unicodedata.normalize("NFKD", char).translate(_SMALL_TO_LARGE):
            if part in _KANA_TO_HALF:
                out.append(_KANA_TO_HALF[part])
            elif part in _MARKS:
                out.append(_MARKS[part])
            else:
                plain = unicodedata.normalize("NFKC", part).upper().translate(_HALF_SMALL)
                if plain in _SYMBOLS:
                    plain = _SYMBOLS[plain]
                if len(plain) != 1 or plain not in _ALLOWED:
                    raise ValueError(f"{char!r} cannot be written in a Zengin file")
                out.append(plain)
    return "".join(out)


def is_zengin_text(text: str) -> bool:
    """Whether ``text`` holds only characters a Zengin kana field may hold."""
    return all(char in _ALLOWED for char in text)


@dataclass(frozen=True)
class Header:
    """Who collects (the consignor), on which day, into which account."""

    consignor_code: str
    consignor_name: str
    collection_date: date
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str


@dataclass(frozen=True)
class DataRecord:
    """One debit: whose account, how much, the customer number that names it, and (in a
    result file) the bank's result code."""

    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    payer_name: str
    amount: int
    customer_number: str
    result_code: str = "0"
    new_code: str = "0"
    bank_name: str = ""
    branch_name: str = ""


@dataclass(frozen=True)
class Trailer:
    count: int
    total: int
    collected_count: int = 0
    collected_amount: int = 0
    failed_count: int = 0
    failed_amount: int = 0


@dataclass(frozen=True)
class ZenginFile:
    header: Header
    records: tuple[DataRecord, ...]
    trailer: Trailer

    @classmethod
    def request(cls, header: Header, records: Sequence[DataRecord]) -> ZenginFile:
        """A debit request file: the trailer counts and totals the data records."""
        return cls(
            header,
            tuple(records),
            Trailer(count=len(records), total=sum(r.amount for r in records)),
        )


class ZenginFormatError(ValueError):
    """A file that is not a valid Zengin account-transfer file; ``line`` is the 1-based
    record it was found in (0 for the file as a whole)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"record {line}: {message}")
        self.line = line
        self.message = message


# --- encoding ----------------------------------------------------------------------------


def _text(value: str, width: int, field: str) -> str:
    text = to_zengin_kana(value)
    if len(text) > width:
        text = text[:width]
        if field != "name":
            raise ValueError(f"{field} is longer than {width} characters")
    return text.ljust(width)


def _number(value: int | str, width: int, field: str) -> str:
    digits = str(value)
    if not digits.isdigit() or len(digits) > width:
        raise ValueError(f"{field} must be at most {width} digits")
    return digits.zfill(width)


def _record(*parts: str) -> bytes:
    encoded = "".join(parts).encode(ENCODING)
    if len(encoded) != RECORD_LENGTH:
        raise ValueError(f"a record is {RECORD_LENGTH} bytes, not {len(encoded)}")
    return encoded


def encode_header(h: Header) -> bytes:
    return _record(
        "1",
        KIND_CODE,
        "0",
        _number(h.consignor_code, 10, "consignor_code"),
        _text(h.consignor_name, 40, "name"),
        h.collection_date.strftime("%m%d"),
        _number(h.bank_code, 4, "bank_code"),
        _text(h.bank_name, 15, "name"),
        _number(h.branch_code, 3, "branch_code"),
        _text(h.branch_name, 15, "name"),
        ACCOUNT_TYPE_CODES[h.account_type],
        _number(h.account_number, 7, "account_number"),
        " " * 17,
    )


def encode_data(r: DataRecord) -> bytes:
    if r.result_code not in RESULT_CODES:
        raise ValueError(f"unknown result code {r.result_code!r}")
    return _record(
        "2",
        _number(r.bank_code, 4, "bank_code"),
        _text(r.bank_name, 15, "name"),
        _number(r.branch_code, 3, "branch_code"),
        _text(r.branch_name, 15, "name"),
        " " * 4,
        ACCOUNT_TYPE_CODES[r.account_type],
        _number(r.account_number, 7, "account_number"),
        _text(r.payer_name, 30, "name"),
        _number(r.amount, 10, "amount"),
        _number(r.new_code, 1, "new_code"),
        _text(r.customer_number, 20, "customer_number"),
        r.result_code,
        " " * 8,
    )


def encode_trailer(t: Trailer) -> bytes:
    return _record(
        "8",
        _number(t.count, 6, "count"),
        _number(t.total, 12, "total"),
        _number(t.collected_count, 6, "collected_count"),
        _number(t.collected_amount, 12, "collected_amount"),
        _number(t.failed_count, 6, "failed_count"),
        _number(t.failed_amount, 12, "failed_amount"),
        " " * 65,
    )


def encode(file: ZenginFile) -> bytes:
    """The file's bytes: Shift_JIS records of 120 bytes, each followed by CRLF."""
    records = [
        encode_header(file.header),
        *(encode_data(r) for r in file.records),
        encode_trailer(file.trailer),
        _record("9", " " * 119),
    ]
    return b"".join(record + NEWLINE for record in records)


# --- decoding ----------------------------------------------------------------------------


def _records(content: bytes) -> list[bytes]:
    if not content:
        raise ZenginFormatError(0, "the file is empty")
    if b"\r" in content or b"\n" in content:
        lines = content.replace(b"\r\n", b"\n").split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return lines
    # Some banks send the records back to back, without line breaks.
    if len(content) % RECORD_LENGTH:
        raise ZenginFormatError(0, f"the file is not made of {RECORD_LENGTH}-byte records")
    return [content[i : i + RECORD_LENGTH] for i in range(0, len(content), RECORD_LENGTH)]


class _Fields:
    """Reads one record's fields in order, naming the record in every error."""

    def __init__(self, line: int, record: bytes) -> None:
        self.line = line
        try:
            self.text = record.decode(ENCODING)
        except UnicodeDecodeError as error:
            raise ZenginFormatError(line, "the record is not Shift_JIS text") from error
        if len(record) != RECORD_LENGTH:
            raise ZenginFormatError(line, f"the record is {len(record)} bytes, not {RECORD_LENGTH}")
        self.at = 0

    def take(self, width: int) -> str:
        # Every character the format allows is one byte in Shift_JIS.
        part = self.text[self.at : self.at + width]
        self.at += width
        return part

    def text_field(self, width: int, field: str) -> str:
        value = self.take(width)
        if not is_zengin_text(value):
            raise ZenginFormatError(self.line, f"{field} holds characters Zengin files do not")
        return value.rstrip()

    def number(self, width: int, field: str) -> int:
        value = self.take(width)
        if not value.isascii() or not value.isdigit():
            raise ZenginFormatError(self.line, f"{field} must be {width} digits, not {value!r}")
        return int(value)

    def digits(self, width: int, field: str) -> str:
        return str(self.number(width, field)).zfill(width)

    def account_type(self) -> str:
        code = self.take(1)
        if code not in ACCOUNT_TYPES:
            raise ZenginFormatError(self.line, f"account type {code!r} is neither 1 nor 2")
        return ACCOUNT_TYPES[code]


def _header(f: _Fields, year: int) -> Header:
    kind = f.take(2)
    if kind != KIND_CODE:
        raise ZenginFormatError(f.line, f"kind code {kind!r} is not 91 (account transfer)")
    f.take(1)
    consignor_code = f.digits(10, "consignor code")
    consignor_name = f.text_field(40, "consignor name")
    mmdd = f.take(4)
    try:
        collection_date = date(year, int(mmdd[:2]), int(mmdd[2:]))
    except ValueError as error:
        raise ZenginFormatError(f.line, f"collection date {mmdd!r} is not MMDD") from error
    return Header(
        consignor_code=consignor_code,
        consignor_name=consignor_name,
        collection_date=collection_date,
        bank_code=f.digits(4, "bank code"),
        bank_name=f.text_field(15, "bank name"),
        branch_code=f.digits(3, "branch code"),
        branch_name=f.text_field(15, "branch name"),
        account_type=f.account_type(),
        account_number=f.digits(7, "account number"),
    )


def _data(f: _Fields) -> DataRecord:
    bank_code = f.digits(4, "bank code")
    bank_name = f.text_field(15, "bank name")
    branch_code = f.digits(3, "branch code")
    branch_name = f.text_field(15, "branch name")
    f.take(4)
    account_type = f.account_type()
    account_number = f.digits(7, "account number")
    payer_name = f.text_field(30, "payer name")
    amount = f.number(10, "amount")
    new_code = f.take(1)
    customer_number = f.text_field(20, "customer number")
    result_code = f.take(1)
    if result_code not in RESULT_CODES:
        raise ZenginFormatError(
            f.line, f"result code {result_code!r} is not one of {', '.join(RESULT_CODES)}"
        )
    return DataRecord(
        bank_code=bank_code,
        bank_name=bank_name,
        branch_code=branch_code,
        branch_name=branch_name,
        account_type=account_type,
        account_number=account_number,
        payer_name=payer_name,
        amount=amount,
        new_code=new_code,
        customer_number=customer_number,
        result_code=result_code,
    )


def _trailer(f: _Fields) -> Trailer:
    return Trailer(
        count=f.number(6, "count"),
        total=f.number(12, "total"),
        collected_count=f.number(6, "collected count"),
        collected_amount=f.number(12, "collected amount"),
        failed_count=f.number(6, "failed count"),
        failed_amount=f.number(12, "failed amount"),
    )


def decode(content: bytes, *, year: int, result: bool = False) -> ZenginFile:
    """Parse a file (a request, or the bank's ``result`` file whose trailer also counts
    the debited and failed records). The header's MMDD is read in ``year``. Raises
    ``ZenginFormatError`` naming the record at fault."""
    records = _records(content)
    header: Header | None = None
    data: list[DataRecord] = []
    trailer: Trailer | None = None
    ended = False
    for line, record in enumerate(records, start=1):
        f = _Fields(line, record)
        kind = f.take(1)
        if ended:
            raise ZenginFormatError(line, "a record follows the end record")
        if kind == "1":
            if header is not None or line != 1:
                raise ZenginFormatError(line, "the header must be the first record, once")
            header = _header(f, year)
        elif header is None:
            raise ZenginFormatError(line, "the file must start with a header record (1)")
        elif kind == "2":
            if trailer is not None:
                raise ZenginFormatError(line, "a data record follows the trailer")
            data.append(_data(f))
        elif kind == "8":
            if trailer is not None:
                raise ZenginFormatError(line, "a second trailer record")
            trailer = _trailer(f)
            _check_trailer(line, trailer, data, result=result)
        elif kind == "9":
            if trailer is None:
                raise ZenginFormatError(line, "the end record comes after the trailer (8)")
            ended = True
        else:
            raise ZenginFormatError(line, f"record type {kind!r} is not 1, 2, 8 or 9")
    if header is None or trailer is None or not ended:
        raise ZenginFormatError(len(records), "the file lacks its header, trailer or end record")
    return ZenginFile(header, tuple(data), trailer)


def _check_trailer(line: int, t: Trailer, data: list[DataRecord], *, result: bool) -> None:
    if t.count != len(data):
        raise ZenginFormatError(line, f"count {t.count} but {len(data)} data records")
    total = sum(r.amount for r in data)
    if t.total != total:
        raise ZenginFormatError(line, f"total {t.total} but the data records add up to {total}")
    if not result:
        return
    collected = [r for r in data if r.result_code == "0"]
    failed = [r for r in data if r.result_code != "0"]
    if (t.collected_count, t.collected_amount) != (
        len(collected),
        sum(r.amount for r in collected),
    ):
        raise ZenginFormatError(line, "the debited count or amount disagrees with the records")
    if (t.failed_count, t.failed_amount) != (len(failed), sum(r.amount for r in failed)):
        raise ZenginFormatError(line, "the failed count or amount disagrees with the records")


def result_file(request: ZenginFile, codes: Sequence[str]) -> ZenginFile:
    """The result file a bank would return for ``request`` with each record's code
    (used by tests and the local-mode bank simulator)."""
    records = tuple(
        DataRecord(**{**vars(r), "result_code": code})
        for r, code in zip(request.records, codes, strict=True)
    )
    collected = [r for r in records if r.result_code == "0"]
    failed = [r for r in records if r.result_code != "0"]
    return ZenginFile(
        request.header,
        records,
        Trailer(
            count=len(records),
            total=sum(r.amount for r in records),
            collected_count=len(collected),
            collected_amount=sum(r.amount for r in collected),
            failed_count=len(failed),
            failed_amount=sum(r.amount for r in failed),
        ),
    )

"""The customer directory's search (R30): one folded text per member, matched by
substring, so that every way of writing a name, a number or an email finds it.

Folding: NFKC (half-width katakana widened, full-width letters and digits
narrowed), case folded, hiragana read as katakana, whitespace and control
characters dropped. A query made only of digits and separators (a corporate number
or phone number typed with hyphens) is also searched as its digits alone: both are
stored digits-only.

A query of three characters or more matches anywhere in a field. A shorter one
(``山田``, ``森``) matches the start of a field or of a word in it: a trigram index
has nothing to look up inside a one- or two-character string, and a substring
that short finds mostly noise.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from identity.domain.member import Member

#: ぁ–ゖ and ゝゞ → ァ–ヶ and ヽヾ (the katakana block is the hiragana block + 0x60).
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in (*range(0x3041, 0x3097), 0x309D, 0x309E)}
# After NFKC: ASCII digits with hyphens, dashes, the prolonged sound mark (typed for a
# hyphen by Japanese input methods), brackets, dots, slashes or a leading plus.
_NUMBER_LIKE = re.compile(r"[0-9\-‐‑‒–—―−ー().+/]+")
#: Starts every entry of the stored text (a field, or a later word of a field);
#: folding removes it from every query.
ENTRY_START = "\n"
#: Queries shorter than this match the start of an entry only.
ANYWHERE_FROM = 3


def fold(text: str) -> str:
    """``text`` as the directory compares it."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_HIRAGANA_TO_KATAKANA)
    # Whitespace, control and format characters (NUL included) never take part.
    return "".join(c for c in folded if c.isprintable() and not c.isspace())


def _entries(value: object) -> list[str]:
    """A field whole (its words run together, so ``ヤマダタロウ`` finds ``ヤマダ タロウ``)
    and each later word of it, so a short query finds ``タロウ`` by its start too."""
    words = [w for w in map(fold, unicodedata.normalize("NFKC", str(value)).split()) if w]
    return ["".join(words), *words[1:]] if words else []


def search_text_of(*values: object) -> str:
    """The stored search text of a member's searchable values (None left out)."""
    return "".join(ENTRY_START + entry for value in values if value for entry in _entries(value))


def search_text(member: Member) -> str:
    """The search text of ``member``: person name, kana, organization, corporate
    number, login ID, contact email, phone and member id."""
    return search_text_of(
        member.name,
        member.name_kana,
        member.organization_name,
        member.corporate_number,
        member.login_id,
        member.contact_email,
        member.phone,
        member.id,
    )


@dataclass(frozen=True)
class SearchTerm:
    """One thing a query looks for: ``text`` anywhere in an entry, or at its start."""

    text: str
    anywhere: bool

    def found_in(self, text: str) -> bool:
        """Whether a member's stored search text has this term."""
        return (self.text if self.anywhere else ENTRY_START + self.text) in text


def search_terms(query: str) -> tuple[SearchTerm, ...]:
    """What a query looks for (any of them matches): its folded text and, for a
    number typed with separators, its digits alone. Empty for a blank query."""
    folded = fold(query)
    texts = [folded] if folded else []
    if _NUMBER_LIKE.fullmatch(folded) and any(c.isdigit() for c in folded):
        digits = re.sub(r"[^0-9]", "", folded)
        if digits != folded:
            texts.append(digits)
    return tuple(SearchTerm(text, anywhere=len(text) >= ANYWHERE_FROM) for text in texts)


@dataclass(frozen=True)
class DirectoryEntry:
    """A member as the directory lists them, and as every ops list names them
    (organization and person, never a bare id)."""

    id: uuid.UUID
    status: str
    entity_type: str | None
    organization_name: str
    name: str
    name_kana: str | None
    corporate_number: str | None
    login_id: str
    contact_email: str
    phone: str
    registered_at: datetime

"""Value types shared by the event contracts: money, versions, languages, sealed secrets."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

#: Integer yen, never negative (SPEC §1: money is integer yen).
Yen = Annotated[int, Field(ge=0)]

#: An aggregate's version: 1 when created, one more on every change.
Version = Annotated[int, Field(ge=1)]

#: A member's language for emails and screens.
Language = Literal["ja", "en"]

#: How a member pays (R21); credit cards are not accepted.
PaymentMethod = Literal["invoice", "account_transfer"]

#: Corporation (法人) or sole proprietor (個人事業主), R5.
EntityType = Literal["corporation", "sole_proprietor"]

_FERNET_VERSION = 0x80
# version (1) + timestamp (8) + IV (16) + one AES block (16) + HMAC (32)
_FERNET_MIN_BYTES = 73


def _require_fernet_token(value: str) -> str:
    # Refusing anything that is not Fernet ciphertext stops a publisher from
    # putting a plaintext one-time token on the broker by mistake.
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValueError("a sealed token must be Fernet ciphertext (urlsafe base64)") from None
    if len(raw) < _FERNET_MIN_BYTES or raw[0] != _FERNET_VERSION:
        raise ValueError("a sealed token must be Fernet ciphertext, not a plaintext token")
    return value


#: A one-time token encrypted with ``EVENT_SECRET_KEY`` (Fernet) by the publisher.
#: Fields of this type are listed in their contract's ``SECRET_FIELDS``.
SealedToken = Annotated[str, AfterValidator(_require_fernet_token)]


class ValueModel(BaseModel):
    """Base of the immutable values nested in events (snapshots, rules, names)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class LocalizedText(ValueModel):
    """A text in Japanese and English, e.g. a service name for an email in either language."""

    ja: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def in_language(self, language: Language) -> str:
        """The text in ``language``."""
        return self.ja if language == "ja" else self.en

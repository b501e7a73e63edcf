"""Identity-document rules (R12): accepted types by content, never by file name."""

from __future__ import annotations

#: Leading bytes of each accepted format → its media type.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)

#: Shown with every upload form and answer: the back of a My Number card holds the
#: individual number, which the mall must never receive.
MY_NUMBER_WARNING = {
    "ja": "マイナンバーカードの裏面（個人番号が記載された面）は絶対に送信しないでください。",
    "en": "Never send the back of a My Number card (the side showing the individual number).",
}


def sniff_media_type(head: bytes) -> str | None:
    """The media type ``head`` starts with, if it is a JPEG, PNG or PDF."""
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None

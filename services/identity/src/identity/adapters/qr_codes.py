"""QR codes of TOTP enrolment URIs, made locally with ``segno`` (no outside service
ever sees an operator's secret, R29)."""

from __future__ import annotations

import io

import segno


def png_data_uri(text: str, *, scale: int = 5) -> str:
    """``text`` as a QR code in a ``data:image/png;base64,...`` URI (an ``<img src>``)."""
    return str(segno.make(text, error="m").png_data_uri(scale=scale, border=4))


def terminal_text(text: str) -> str:
    """``text`` as a QR code drawn with block characters, for a terminal."""
    out = io.StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True)
    return out.getvalue()

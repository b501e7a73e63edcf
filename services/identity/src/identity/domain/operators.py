"""Operators' second factor (R29): TOTP codes, pure."""

from __future__ import annotations

import pyotp


def totp_accepts(secret: str, code: str) -> bool:
    """Whether ``code`` is the TOTP code of ``secret`` now (one step either side)."""
    return pyotp.TOTP(secret).verify(code, valid_window=1)

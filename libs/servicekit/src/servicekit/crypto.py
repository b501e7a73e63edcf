"""Sealing secret event fields (one-time tokens) for their consumer.

The publisher seals a token with the key it shares with the consumer
(``EVENT_SECRET_KEY``); only the consumer that must render the link opens it.
The sealed text is what travels, sits in the outbox and in dead letters.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    """Seal and open short secrets with a Fernet key (AES-128-CBC + HMAC-SHA256)."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode() if isinstance(key, str) else key)

    def seal(self, secret: str) -> str:
        """Ciphertext of ``secret`` as URL-safe text."""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        """The secret inside ``sealed``; ``ValueError`` when not sealed with this key."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("sealed value cannot be opened with this key") from exc

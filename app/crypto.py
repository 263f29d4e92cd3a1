"""Encryption of secrets at rest and in the queue, with keys derived from SECRET_KEY.

One derivation per purpose, so that a key for one use never decrypts another's data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

__all__ = ["InvalidToken", "decrypt", "encrypt", "keyed_hash"]


def _fernet(purpose: str) -> Fernet:
    secret = current_app.config["SECRET_KEY"].encode()
    key = hashlib.blake2b(secret, key=purpose.encode()[:64], digest_size=32).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(purpose: str, plaintext: str) -> str:
    return _fernet(purpose).encrypt(plaintext.encode()).decode()


def decrypt(purpose: str, token: str, ttl: int | None = None) -> str:
    """Raises InvalidToken when the token is forged, from another purpose, or older than ttl."""
    return _fernet(purpose).decrypt(token.encode(), ttl=ttl).decode()


def keyed_hash(purpose: str, value: str) -> str:
    """A keyed SHA-256 of a short secret (codes), so a database dump does not reveal it."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret + b"/" + purpose.encode(), value.encode(), hashlib.sha256).hexdigest()

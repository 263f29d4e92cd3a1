"""DKIM key pairs: generated in the app, the private key stored encrypted (SPEC M1)."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app import crypto
from app.clock import utcnow

PURPOSE = "dkim-key"  # app.crypto: the key that encrypts DKIM private keys
KEY_SIZE = 2048
SELECTOR_PREFIX = "depesche"


def generate() -> tuple[str, str]:
    """A new RSA-2048 key pair: (the encrypted private key in PEM, the public key as the
    base64 of its DER SubjectPublicKeyInfo, which is the record's p= value)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return crypto.encrypt(PURPOSE, pem), base64.b64encode(der).decode()


def new_selector(taken: set[str]) -> str:
    """`depesche` and the year and month (`depesche202611`), so that a rotation publishes a
    new name next to the old one; a second rotation in one month adds a letter."""
    base = f"{SELECTOR_PREFIX}{utcnow():%Y%m}"
    if base not in taken:
        return base
    for letter in "bcdefghijklmnopqrstuvwxyz":
        if base + letter not in taken:
            return base + letter
    raise ValueError("no selector left this month")


def private_key(encrypted: str):
    """The private key object of an encrypted PEM (cached: decrypting and parsing cost more
    than a signature)."""
    return _load(encrypted)


@lru_cache(maxsize=64)
def _load(encrypted: str):
    # keyed by the token: Fernet tokens carry a random IV, so one token is one key
    pem = crypto.decrypt(PURPOSE, encrypted)
    return serialization.load_pem_private_key(pem.encode(), password=None)

"""DKIM signatures per second (issue 6): Depesche's signer (`app.senders.dkim`, RSA through
`cryptography`) against dkimpy's `dkim.sign` (pure-Python RSA), the same RSA-2048 key and
the same personalised messages (about 20 KB), in one run.

    python -m tests.bench.dkim [--seconds 3]

Not part of `python -m tests.bench` (yet): the dispatch benchmark will include signing.
"""

from __future__ import annotations

import argparse
import time
from email.message import EmailMessage

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.senders.dkim import Signer

DOMAIN = "muster-ag.example"
SELECTOR = "depesche202611"


def _message(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Pressestelle <presse@{DOMAIN}>"
    msg["To"] = f"Person {n} <person{n}@zeitung.example>"
    msg["Subject"] = "Pressemitteilung: Neue Fabrik in Köln"
    msg["Date"] = "Sun, 22 Nov 2026 10:00:00 +0000"
    msg["Message-ID"] = f"<{n}.bench@{DOMAIN}>"
    msg["List-Unsubscribe"] = f"<https://depesche.example/u/{n}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = f"Sehr geehrte Person {n},\n\n" + "Die Muster AG eröffnet eine Fabrik. " * 300
    msg.set_content(text)
    msg.add_alternative(f"<p>{text}</p>", subtype="html")
    return msg.as_bytes().replace(b"\n", b"\r\n")


def _rate(sign, messages: list[bytes], seconds: float) -> float:
    """Signatures per second over pre-built messages (building is the dispatch's cost)."""
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        sign(messages[count % len(messages)])
        count += 1
    return count / elapsed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    messages = [_message(n) for n in range(50)]
    ours = Signer(DOMAIN, SELECTOR, key)
    ours_rate = _rate(ours.sign, messages, args.seconds)
    dkimpy_rate = _rate(
        lambda m: (
            dkim.sign(
                m, SELECTOR.encode(), DOMAIN.encode(), pem, canonicalize=(b"relaxed", b"relaxed")
            )
            + m
        ),
        messages,
        args.seconds,
    )
    print(f"messages: {len(messages)} distinct, {len(messages[0]) // 1024} KB each, RSA-2048")
    print(f"app.senders.dkim (cryptography)  {ours_rate:8.0f} signatures/s")
    print(f"dkimpy dkim.sign (pure Python)   {dkimpy_rate:8.0f} signatures/s")
    print(f"ratio                            {ours_rate / dkimpy_rate:8.1f}x")


if __name__ == "__main__":
    main()

"""The connection to the mail relay for dispatch (SPEC M4): one connection for a batch of
messages, SMTP PIPELINING (RFC 2920) where the relay offers it — MAIL, RCPT and DATA go in
one write and their replies are read together, so a message costs two round trips
instead of four — and every outcome as the relay's code and text.

`send` returns (code, text) for each message; a refusal of one message (4xx, 5xx) leaves
the connection usable. `RelayUnavailable` means the connection is gone (refused, dropped,
timed out, 421): the message in hand was not confirmed.
"""

from __future__ import annotations

import re
import smtplib

from app.mail import smtp_connection

_DOT = re.compile(rb"^\.", re.M)


class RelayUnavailable(Exception):
    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code  # 421 when the relay said it closes; None for network errors


def _reply_text(message) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return " ".join(str(message).split())[:480]


class Relay:
    def __init__(self, url: str | None = None, timeout: float = 60, context=None):
        try:
            self.connection = smtp_connection(url, timeout=timeout, context=context)
            self.connection.ehlo_or_helo_if_needed()
        except (OSError, smtplib.SMTPException) as exc:
            raise RelayUnavailable(str(exc) or type(exc).__name__) from exc
        self.pipelining = self.connection.has_extn("pipelining")
        self.size = self.connection.has_extn("size")
        self.smtputf8 = self.connection.has_extn("smtputf8")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        try:
            self.connection.quit()
        except (OSError, smtplib.SMTPException):
            self.connection.close()

    def _command(self, text: str) -> bytes:
        return (text + "\r\n").encode("utf-8")

    def _read(self) -> tuple[int, str]:
        code, message = self.connection.getreply()
        if code == 421 or code == -1:
            raise RelayUnavailable(
                _reply_text(message) or "connection closed", code if code == 421 else None
            )
        return code, _reply_text(message)

    def send(self, envelope_from: str, recipient: str, data: bytes) -> tuple[int, str]:
        """Offer one message; (code, text) of the relay's last word on it."""
        try:
            return self._send(envelope_from, recipient, data)
        except RelayUnavailable:
            self.connection.close()
            raise
        except (OSError, smtplib.SMTPException) as exc:
            self.connection.close()
            raise RelayUnavailable(str(exc) or type(exc).__name__) from exc

    def _send(self, envelope_from: str, recipient: str, data: bytes) -> tuple[int, str]:
        options = []
        if self.size:
            options.append(f"SIZE={len(data)}")
        if not (envelope_from + recipient).isascii():
            if not self.smtputf8:
                return 553, "the relay does not accept non-ASCII addresses (no SMTPUTF8)"
            options.append("SMTPUTF8")
        mail = f"MAIL FROM:<{envelope_from}>" + "".join(" " + o for o in options)
        rcpt = f"RCPT TO:<{recipient}>"
        if self.pipelining:
            self.connection.send(self._command(mail) + self._command(rcpt) + b"DATA\r\n")
            replies = [self._read(), self._read(), self._read()]
        else:
            replies = [self._read_after(mail)]
            if replies[0][0] == 250:
                replies.append(self._read_after(rcpt))
                if replies[1][0] in (250, 251):
                    replies.append(self._read_after("DATA"))
        refused = next((r for r in replies if r[0] not in (250, 251, 354)), None)
        if refused is not None:
            if len(replies) == 3 and replies[2][0] == 354:
                # the relay wants the message although an earlier command failed: end it empty
                self.connection.send(b".\r\n")
                self._read()
            self._reset()
            return refused
        if len(replies) < 3:
            self._reset()
            return replies[-1]
        payload = data  # dot-stuffing (RFC 5321 4.5.2); lines end CRLF
        if data.startswith(b".") or b"\n." in data:
            payload = _DOT.sub(b"..", data)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        self.connection.send(payload + b".\r\n")
        code, text = self._read()
        return code, text

    def _read_after(self, command: str) -> tuple[int, str]:
        self.connection.send(self._command(command))
        return self._read()

    def _reset(self) -> None:
        self.connection.send(b"RSET\r\n")
        self._read()

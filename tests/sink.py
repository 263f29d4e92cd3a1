"""A real SMTP sink in its own process (aiosmtpd), for tests that kill workers and for the
dispatch benchmark: `python -m tests.sink PORT LOG [--pause-at N] [--pause S] [--delay S]`.

It offers PIPELINING like Postfix and writes one line per message it receives to LOG —
the VERP token of the return path (or the envelope sender) — before it answers, so the
log is what the relay got, whatever the client heard. `--pause-at N` holds the answer to
the N-th message for `--pause` seconds: a window in which to kill the client mid-
transaction. `--delay` holds every answer (a slow relay). "READY" on stdout when it
listens; SIGTERM ends it.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
import threading

from aiosmtpd.controller import Controller

TOKEN = re.compile(r"^bounces\+([0-9a-f]+)@")


class Handler:
    def __init__(self, log, pause_at: int, pause: float, delay: float):
        self.log = log
        self.count = 0
        self.pause_at = pause_at
        self.pause = pause
        self.delay = delay

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.count += 1
        match = TOKEN.match(envelope.mail_from or "")
        self.log.write((match.group(1) if match else envelope.mail_from) + "\n")
        self.log.flush()
        if self.count == self.pause_at:
            await asyncio.sleep(self.pause)
        elif self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 queued"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("log")
    parser.add_argument("--pause-at", type=int, default=0)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    with open(args.log, "a", buffering=1) as log:
        handler = Handler(log, args.pause_at, args.pause, args.delay)
        controller = Controller(
            handler, hostname="127.0.0.1", port=args.port, data_size_limit=64 * 2**20
        )
        controller.start()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        print("READY", flush=True)
        stop.wait()
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

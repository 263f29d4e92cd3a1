"""A real DNS server on 127.0.0.1 for the tests (UDP, built on dnspython's message parsing):
TXT records from a dict; `mode` makes it answer SERVFAIL or never answer at all."""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class LocalDNS:
    def __init__(self):
        self.txt: dict[str, list[list[str]]] = {}  # name → records, each a list of strings
        self.mode = "answer"  # or "servfail", "silent"
        self.queries: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def publish(self, name: str, *values: str | list[str]) -> None:
        """Publish TXT records at `name`; a value given as a list keeps its strings apart."""
        self.txt[name.lower().rstrip(".")] = [[v] if isinstance(v, str) else v for v in values]

    def _serve(self):
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:  # noqa: S112 (garbage: ignore it as a server would)
                continue
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True).lower()
            self.queries.append(name)
            if self.mode == "silent":
                continue
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            if self.mode == "servfail":
                response.set_rcode(dns.rcode.SERVFAIL)
            elif name not in self.txt:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT:
                texts = [
                    " ".join('"' + s.replace('"', '\\"') + '"' for s in strings)
                    for strings in self.txt[name]
                ]
                response.answer.append(
                    dns.rrset.from_text_list(question.name, 300, "IN", "TXT", texts)
                )
            self.sock.sendto(response.to_wire(), peer)

    def close(self):
        self._stop = True
        self.sock.close()
        self._thread.join(timeout=2)

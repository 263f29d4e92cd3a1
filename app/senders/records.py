"""The DNS records a sender domain needs (SPEC M1), as pure functions: the DKIM key record,
the SPF record merged with what is published, and a DMARC record to start with."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from flask import current_app

TXT_CHUNK = 255  # the longest character-string of a TXT record (RFC 1035)


@dataclass(frozen=True)
class Record:
    name: str  # the owner name, fully qualified without the final dot
    value: str  # the whole TXT value

    @property
    def chunks(self) -> list[str]:
        return txt_chunks(self.value)

    @property
    def zone_line(self) -> str:
        """The record as a line of a zone file: quoted strings of at most 255 characters."""
        quoted = " ".join(f'"{chunk}"' for chunk in self.chunks)
        if len(self.chunks) > 1:
            quoted = f"( {quoted} )"
        return f"{self.name}. IN TXT {quoted}"


def txt_chunks(value: str, size: int = TXT_CHUNK) -> list[str]:
    return [value[i : i + size] for i in range(0, len(value), size)] or [""]


def dkim_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}"


def dkim_value(public_key: str) -> str:
    return f"v=DKIM1; k=rsa; p={public_key}"


def dkim_record(selector: str, domain: str, public_key: str) -> Record:
    return Record(dkim_name(selector, domain), dkim_value(public_key))


def dmarc_name(domain: str) -> str:
    return f"_dmarc.{domain}"


def dmarc_record(domain: str) -> Record:
    """A DMARC policy to start with: report only (p=none) while SPF and DKIM are proven."""
    return Record(dmarc_name(domain), f"v=DMARC1; p=none; rua=mailto:dmarc@{domain}")


def tags(value: str) -> dict[str, str]:
    """The tag=value pairs of a DKIM or DMARC record, names lower-cased, blanks and stray
    quotes (pasted from a zone file into a provider's form) removed."""
    result = {}
    for part in value.split(";"):
        name, sep, tag_value = part.partition("=")
        if sep:
            result[name.strip().lower()] = re.sub(r'[\s"]+', "", tag_value)
    return result


# --- SPF ----------------------------------------------------------------------------------


def our_mechanisms() -> list[str]:
    """The SPF mechanisms that allow the appliance to send: `ip4:`/`ip6:` for every
    DEPESCHE_SENDING_IPS address, `include:` for DEPESCHE_SPF_INCLUDE."""
    config = current_app.config
    mechanisms = []
    for value in filter(None, (v.strip() for v in config["SENDING_IPS"].split(","))):
        address = ipaddress.ip_address(value)
        mechanisms.append(f"ip{address.version}:{address.compressed}")
    include = config["SPF_INCLUDE"].strip().lower()
    if include:
        mechanisms.append(f"include:{include}")
    return mechanisms


def is_spf(value: str) -> bool:
    return value.strip().lower().split(" ")[0] == "v=spf1"


def _allows(term: str, mechanism: str) -> bool:
    """Whether the published SPF term covers one of our mechanisms (an ip4 network that
    holds our address counts)."""
    term = term.lstrip("+").lower()
    kind, _, wanted = mechanism.partition(":")
    name, _, value = term.partition(":")
    if name != kind:
        return False
    if kind == "include":
        return value.rstrip(".") == wanted
    try:
        return ipaddress.ip_address(wanted) in ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False


def spf_missing(published: str, mechanisms: list[str]) -> list[str]:
    """Our mechanisms that the published SPF record does not contain."""
    terms = published.split()[1:]
    return [m for m in mechanisms if not any(_allows(t, m) for t in terms)]


def spf_suggestion(published: str | None, mechanisms: list[str]) -> str:
    """The one SPF record to publish: ours alone when none is published, else the published
    one with our missing mechanisms put before its `all` (or `redirect=`), so that there is
    never a second SPF record (which would make SPF fail for every message)."""
    if not published or not is_spf(published):
        return " ".join(["v=spf1", *mechanisms, "~all"])
    terms = published.split()
    missing = spf_missing(published, mechanisms)
    if not missing:
        return " ".join(terms)
    end = next(
        (
            i
            for i, term in enumerate(terms)
            if term.lstrip("+-~?").lower() == "all" or term.lower().startswith("redirect=")
        ),
        len(terms),
    )
    return " ".join([*terms[:end], *missing, *terms[end:]])

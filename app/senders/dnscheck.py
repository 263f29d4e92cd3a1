"""What a sender domain has published (SPEC M1, B3): its DKIM, SPF and DMARC TXT records,
looked up with dnspython within one short time limit for all three, and compared with what
should be there. Every failure of the lookup itself (no network, timeout, SERVFAIL) is the
state "could not check": never an exception, never a hang."""

from __future__ import annotations

import time
from dataclasses import dataclass

import dns.exception
import dns.rdatatype
import dns.resolver
from flask import current_app

from app.senders import records
from app.senders.models import DIFFERENT, MISSING, OK, UNCHECKED


class LookupFailed(Exception):
    """The lookup could not be done; the text says why (for the operator)."""


@dataclass
class Finding:
    state: str
    found: str = ""  # the published value(s), one per line


def resolver() -> dns.resolver.Resolver:
    """A resolver on DEPESCHE_DNS_NAMESERVERS/DNS_PORT, else on the system's configuration."""
    config = current_app.config
    servers = [v.strip() for v in config["DNS_NAMESERVERS"].split(",") if v.strip()]
    try:
        res = dns.resolver.Resolver(configure=not servers)
    except dns.resolver.NoResolverConfiguration:
        raise LookupFailed("no DNS resolver is configured") from None
    if servers:
        res.nameservers = servers
    res.port = config["DNS_PORT"]
    res.timeout = min(1.0, config["DNS_LIFETIME"])  # per attempt; retried within lifetime
    res.cache = None
    return res


class Lookup:
    """TXT lookups that share one deadline, so a whole check takes at most DNS_LIFETIME."""

    def __init__(self):
        self.deadline = time.monotonic() + current_app.config["DNS_LIFETIME"]
        self.resolver = resolver()

    def txt(self, name: str) -> list[str] | None:
        """The TXT values at `name` (each record's strings joined), or None if the name or
        the record does not exist. Raises LookupFailed when the answer cannot be had."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise LookupFailed("time limit reached")
        try:
            answer = self.resolver.resolve(
                name, dns.rdatatype.TXT, lifetime=remaining, search=False
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except dns.exception.Timeout:
            raise LookupFailed("no answer in time") from None
        except dns.resolver.NoNameservers:
            raise LookupFailed("the name servers failed to answer (SERVFAIL)") from None
        except (dns.exception.DNSException, OSError) as exc:
            raise LookupFailed(type(exc).__name__) from None
        return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]


def check_dkim(lookup: Lookup, selector: str, domain: str, public_key: str) -> Finding:
    values = lookup.txt(records.dkim_name(selector, domain))
    if not values:
        return Finding(MISSING)
    published = [records.tags(v).get("p", "") for v in values]
    state = OK if len(values) == 1 and published[0] == public_key else DIFFERENT
    return Finding(state, "\n".join(values))


def check_spf(lookup: Lookup, domain: str, mechanisms: list[str]) -> Finding:
    values = [v for v in (lookup.txt(domain) or []) if records.is_spf(v)]
    if not values:
        return Finding(MISSING)
    found = "\n".join(values)
    if len(values) > 1:  # several SPF records: SPF fails for every message (RFC 7208 4.5)
        return Finding(DIFFERENT, found)
    if not mechanisms:  # nothing configured to compare with (the page says so)
        return Finding(UNCHECKED, found)
    return Finding(DIFFERENT if records.spf_missing(values[0], mechanisms) else OK, found)


def check_dmarc(lookup: Lookup, domain: str) -> Finding:
    values = lookup.txt(records.dmarc_name(domain))
    if not values:
        return Finding(MISSING)
    dmarc = [v for v in values if records.tags(v).get("v", "").upper() == "DMARC1"]
    return Finding(OK if len(dmarc) == 1 else DIFFERENT, "\n".join(values))


def check(domain: str, selector: str, public_key: str) -> tuple[dict[str, Finding], str]:
    """The three findings (`dkim`, `spf`, `dmarc`) and, if a lookup failed, why."""
    findings: dict[str, Finding] = {}
    error = ""
    try:
        lookup = Lookup()
    except LookupFailed as exc:
        return {kind: Finding(UNCHECKED) for kind in ("dkim", "spf", "dmarc")}, str(exc)
    checks = {
        "dkim": lambda: check_dkim(lookup, selector, domain, public_key),
        "spf": lambda: check_spf(lookup, domain, records.our_mechanisms()),
        "dmarc": lambda: check_dmarc(lookup, domain),
    }
    for kind, run in checks.items():
        try:
            findings[kind] = run()
        except LookupFailed as exc:
            findings[kind] = Finding(UNCHECKED)
            error = error or str(exc)
    return findings, error

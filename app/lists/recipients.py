"""Recipient resolution (SPEC M3), used by mailings and their pre-send check: lists (fixed
or saved searches), saved searches given directly and single persons become one set of
addresses, each once; who is left out is counted by reason.

A person receives at their primary e-mail address. Left out, in this order of reasons:
erased (never shown at all), blocked (C9), no address, blacklisted (M8), and whatever
later exclusion sources report (hard bounces, M7: `EXCLUSIONS`). Two persons with one
address, or one person on several lists, get one message: the first source keeps it and
the others count as duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app.blacklist.services import blacklisted
from app.contacts import listing
from app.contacts.models import Person, PersonEmail
from app.lists.models import DistributionList
from app.lists.services import members, search_state

REASONS = {
    "blocked": _l("blocked"),
    "no_address": _l("no e-mail address"),
    "blacklisted": _l("on the blacklist"),
    "bounced": _l("hard-bounced address"),
}
# Further exclusions: name → function(addresses) returning the excluded ones (the bounce
# handling registers "bounced" here).
EXCLUSIONS: dict[str, Callable[[set[str]], set[str]]] = {}
BATCH = 900


@dataclass
class Recipient:
    person_id: int
    address: str
    source: str  # "list:<id>", "search", "person"


@dataclass
class Resolution:
    recipients: list[Recipient] = field(default_factory=list)
    removed: dict[str, list[int]] = field(default_factory=dict)  # reason → person ids
    duplicates: int = 0  # persons or addresses reached through more than one source

    @property
    def removed_count(self) -> int:
        return sum(len(ids) for ids in self.removed.values())


def _primary_addresses(person_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(person_ids), BATCH):
        chunk = person_ids[start : start + BATCH]
        rows = (
            PersonEmail.select(PersonEmail.person, PersonEmail.address)
            .where(PersonEmail.person.in_(chunk) & (PersonEmail.is_primary == True))  # noqa: E712
            .tuples()
        )
        found.update(rows)
    return found


def resolve(
    user,
    *,
    list_ids: Iterable[int] = (),
    searches: Iterable[str] = (),
    person_ids: Iterable[int] = (),
    client_id: int | None = None,
) -> Resolution:
    """The recipients of the given sources as the user sees them (hidden clients' persons
    never), optionally limited to one client (a mailing belongs to one)."""
    sources: list[tuple[str, object]] = []
    for list_id in list_ids:
        lst = DistributionList.get_visible_or_404(user, list_id)
        sources.append((f"list:{lst.id}", members(user, lst).select(Person.id, Person.blocked)))
    for search in searches:
        query = listing.filtered(user, search_state(user, search))
        sources.append(("search", query.select(Person.id, Person.blocked)))
    wanted = [int(i) for i in person_ids]
    if wanted:
        query = Person.visible_to(user, Person.id, Person.blocked).where(
            Person.id.in_(wanted) & Person.erased_at.is_null()
        )
        sources.append(("person", query))

    result = Resolution()
    seen_persons: dict[int, str] = {}
    blocked: set[int] = set()
    for source, query in sources:
        if client_id is not None:
            query = query.where(Person.client == client_id)
        for person_id, is_blocked in query.order_by(Person.id).tuples():
            if person_id in seen_persons:
                result.duplicates += 1
                continue
            seen_persons[person_id] = source
            if is_blocked:
                blocked.add(person_id)
    if blocked:
        result.removed["blocked"] = sorted(blocked)
    candidates = [pid for pid in seen_persons if pid not in blocked]
    addresses = _primary_addresses(candidates)
    missing = sorted(pid for pid in candidates if pid not in addresses)
    if missing:
        result.removed["no_address"] = missing
    excluded: dict[str, set[str]] = {"blacklisted": blacklisted(addresses.values())}
    for name, check in EXCLUSIONS.items():
        excluded[name] = check(set(addresses.values()))
    seen_addresses: set[str] = set()
    for person_id in candidates:
        address = addresses.get(person_id)
        if address is None:
            continue
        reason = next((name for name, hit in excluded.items() if address in hit), None)
        if reason:
            result.removed.setdefault(reason, []).append(person_id)
            continue
        if address in seen_addresses:
            result.duplicates += 1
            continue
        seen_addresses.add(address)
        result.recipients.append(Recipient(person_id, address, seen_persons[person_id]))
    return result

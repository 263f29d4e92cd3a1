"""Clients and rights (SPEC A3): the only code that writes them; every change is audited in
the same transaction.

Rights: `full` (see and change), `read` (see only), `hidden` (the client's records do not
exist for the user). A user without a ClientRight row on a client has `hidden` there (deny
by default), administrators included: they manage clients and rights, but see a client's
records only with a right of their own. Writing needs full access on an *active* client;
a deactivated client's records stay visible to those with a right, read only for everyone.
"""

from __future__ import annotations

from flask_babel import gettext as _
from peewee import fn

from app.audit.services import record_create, record_update, snapshot
from app.clients.models import DEFAULT_RIGHT, FULL, HIDDEN, READ, RIGHTS, Client, ClientRight
from app.extensions import db
from app.statements import SlotUser, Statement, user_key
from app.users.models import User

# A right includes every right below it.
RANK = {HIDDEN: 0, READ: 1, FULL: 2}


class ClientError(ValueError):
    """A client or right cannot be created or changed; the message is shown to the person
    asking."""

    def __init__(self, messages):
        self.messages = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        super().__init__("; ".join(self.messages))


def client_ids_for(user, right: str = READ):
    """A subquery of the ids of the clients on which `user` has at least `right`: READ for
    seeing (read or full), FULL for writing (full, and the client active). The one query
    every scoped model builds on; an anonymous user gets no client at all."""
    if right not in (READ, FULL):
        raise ValueError(f"right must be {READ!r} or {FULL!r}, not {right!r}")
    rights = (READ, FULL) if right == READ else (FULL,)
    query = ClientRight.select(ClientRight.client).where(
        (ClientRight.user == user_key(user)) & ClientRight.right.in_(rights)
    )
    if right == FULL:
        query = query.join(Client).where(Client.active == True)  # noqa: E712 (SQL, not Python)
    return query


def clients_for(user, right: str = READ):
    """The clients on which `user` has at least `right` (see client_ids_for), by name."""
    return Client.select().where(Client.id.in_(client_ids_for(user, right))).order_by(Client.name)


# client_id_set runs for most requests (each list decides per row whether to show buttons)
_CLIENT_IDS = {
    right: Statement(lambda r=right: client_ids_for(SlotUser(), r)) for right in (READ, FULL)
}


def client_id_set(user, right: str = READ) -> set[int]:
    """The ids of clients_for(user, right), e.g. to decide per row whether to show buttons."""
    if right not in (READ, FULL):
        raise ValueError(f"right must be {READ!r} or {FULL!r}, not {right!r}")
    return {client_id for (client_id,) in _CLIENT_IDS[right].rows(user=user_key(user))}


_SEEN_AND_WRITABLE = Statement(
    lambda: (
        ClientRight.select(ClientRight.client, ClientRight.right, Client.active)
        .join(Client)
        .where((ClientRight.user == SlotUser().id) & ClientRight.right.in_((READ, FULL)))
    )
)


def client_id_sets(user) -> tuple[set[int], set[int]]:
    """(client_id_set(user, READ), client_id_set(user, FULL)) read with one statement, for
    a screen that needs both (the contacts list: what it counts, where it shows buttons)."""
    seen, writable = set(), set()
    for client_id, right, active in _SEEN_AND_WRITABLE.rows(user=user_key(user)):
        seen.add(client_id)
        if right == FULL and active:
            writable.add(client_id)
    return seen, writable


def right_of(user, client) -> str:
    """The stored right of `user` on `client` (HIDDEN without a row)."""
    client_id = client if isinstance(client, int) else client.id
    row = ClientRight.get_or_none(
        (ClientRight.user == user_key(user)) & (ClientRight.client == client_id)
    )
    return row.right if row else DEFAULT_RIGHT


def rights_of(user) -> dict[int, str]:
    """{client id: right} of the rows stored for `user` (clients without a row are hidden)."""
    query = ClientRight.select().where(ClientRight.user == user_key(user))
    return {row.client_id: row.right for row in query}


def can_write(user, client) -> bool:
    """Full access on an active client."""
    client_id = client if isinstance(client, int) else client.id
    return client_id in client_id_set(user, FULL)


def rights_on(client) -> dict[int, str]:
    """{user id: right} of the rows stored for `client` (users without a row are hidden)."""
    return {
        row.user_id: row.right for row in ClientRight.select().where(ClientRight.client == client)
    }


def users_with_access() -> dict[int, int]:
    """{client id: number of users with read or full access}, for the administrator's list."""
    query = (
        ClientRight.select(ClientRight.client, fn.COUNT(ClientRight.id).alias("n"))
        .where(ClientRight.right.in_((READ, FULL)))
        .group_by(ClientRight.client)
    )
    return {row.client_id: row.n for row in query}


def find_client(name: str) -> Client | None:
    """The client with this name, in any capitalisation."""
    name = (name or "").strip()
    if not name:
        return None
    return Client.get_or_none(fn.LOWER(Client.name) == name.lower())


def _checked_name(name: str, client: Client | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ClientError(_("A name is required."))
    if len(name) > 200:
        raise ClientError(_("The name may have at most 200 characters."))
    other = find_client(name)
    if other is not None and (client is None or other.id != client.id):
        raise ClientError(_("A client named %(name)s exists already.", name=other.name))
    return name


def create_client(name: str, description: str = "", origin: str = "manual") -> Client:
    """Create a client. Nobody has a right on it yet: the administrator grants them."""
    with db.atomic():
        client = Client.create(name=_checked_name(name), description=(description or "").strip())
        record_create(client, origin=origin, client_id=client.id)
    return client


def update_client(client: Client, name: str, description: str = "") -> Client:
    """Rename a client or change its description."""
    with db.atomic():
        before = snapshot(client)
        client.name = _checked_name(name, client)
        client.description = (description or "").strip()
        client.save()
        record_update(client, before, client_id=client.id)
    return client


def set_client_active(client: Client, active: bool) -> Client:
    """Deactivate or reactivate a client. Clients are never deleted (records may belong to
    them); a deactivated one keeps its records and rights but takes no new or changed
    records, so it stops being anyone's default client."""
    with db.atomic():
        before = snapshot(client)
        client.active = bool(active)
        client.save()
        record_update(client, before, client_id=client.id)
        if not client.active:
            for user in User.select().where(User.default_client == client.id):
                _store_default_client(user, None)
    return client


def _store_default_client(user: User, client: Client | None) -> None:
    fresh = User.get_by_id(user.id)
    before = snapshot(fresh)
    fresh.default_client = client
    fresh.save(only=[User.default_client])
    record_update(fresh, before)
    user.default_client = client  # keep the caller's instance in step


def set_right(user: User, client: Client, right: str, origin: str = "manual") -> bool:
    """Give `user` the right `right` on `client`; returns whether anything changed.

    A user who loses full access loses the client as default client too; a user without a
    default client who gains full access on an active client gets it as default.
    """
    if right not in RIGHTS:
        raise ClientError(
            _("Unknown right: %(right)s (possible: full, read, hidden).", right=right)
        )
    with db.atomic():
        row = ClientRight.get_or_none(
            (ClientRight.user == user.id) & (ClientRight.client == client.id)
        )
        current = row.right if row else DEFAULT_RIGHT
        if current == right:
            return False
        if row is None:
            row = ClientRight.create(user=user, client=client, right=right)
            record_create(row, origin=origin)
        else:
            before = snapshot(row)
            row.right = right
            row.save()
            record_update(row, before)
        default_id = User.get_by_id(user.id).default_client_id
        if right != FULL and default_id == client.id:
            _store_default_client(user, None)
        elif right == FULL and default_id is None and client.active:
            _store_default_client(user, client)
    return True


def set_rights(client: Client, rights: dict[User, str]) -> int:
    """Set many users' rights on one client in one transaction; returns how many changed."""
    with db.atomic():
        return sum(set_right(user, client, right) for user, right in rights.items())


def set_default_client(user: User, client: Client | None) -> None:
    """Choose where the user's new records go: a client the user may write to, or none."""
    if client is not None and not can_write(user, client):
        raise ClientError(_("You cannot add records to this client."))
    with db.atomic():
        if User.get_by_id(user.id).default_client_id != (client.id if client else None):
            _store_default_client(user, client)


def default_client_of(user) -> Client | None:
    """The user's default client, if the user may (still) write to it."""
    client_id = getattr(user, "default_client_id", None)
    if client_id is None or not can_write(user, client_id):
        return None
    return Client.get_or_none(Client.id == client_id)


def parse_grant(spec: str) -> tuple[list[Client], str]:
    """Read `CLIENT=RIGHT` as given on the command line; `*` stands for every client.
    Returns the clients and the right, or raises ClientError naming what is wrong."""
    name, sep, right = (spec or "").rpartition("=")
    name, right = name.strip(), right.strip().lower()
    if not sep or not name or not right:
        raise ClientError(
            _('%(spec)s: expected CLIENT=RIGHT, e.g. "Nordlicht AG=full".', spec=spec)
        )
    if right not in RIGHTS:
        raise ClientError(
            _("Unknown right: %(right)s (possible: full, read, hidden).", right=right)
        )
    if name == "*":
        return list(Client.select().order_by(Client.name)), right
    client = find_client(name)
    if client is None:
        known = ", ".join(c.name for c in Client.select().order_by(Client.name)) or "—"
        raise ClientError(
            _("There is no client named %(name)s (clients: %(known)s).", name=name, known=known)
        )
    return [client], right


def apply_grants(user: User, specs) -> list[tuple[Client, str, bool]]:
    """Apply `CLIENT=RIGHT` specs to `user` in one transaction, all or none; a later spec
    wins over an earlier one for the same client. Returns (client, right, changed) per
    client. Every spec is checked before anything changes."""
    wanted: dict[int, tuple[Client, str]] = {}
    for spec in specs:
        clients, right = parse_grant(spec)
        for client in clients:
            wanted[client.id] = (client, right)  # a later grant wins over an earlier one
    with db.atomic():
        return [
            (client, right, set_right(user, client, right, origin="cli"))
            for client, right in wanted.values()
        ]

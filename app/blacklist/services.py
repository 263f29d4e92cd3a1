"""The blacklist (SPEC M8): addresses and whole domains that no mailing goes to —
unsubscribes, hard bounces (when the organisation wants that), and entries by hand or
pasted in bulk by an administrator. `blacklisted()` is what recipient resolution asks."""

from __future__ import annotations

import re

import idna
from flask_babel import gettext as _

from app.blacklist.models import REASONS, BlacklistEntry
from app.emails import InvalidEmail, normalise_email
from app.extensions import db

PASTE_MAX = 20_000
SPLIT = re.compile(r"[\s,;<>]+")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class BlacklistError(ValueError):
    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)


def parse(text: str) -> tuple[str, str]:
    """(kind, value) of one entry: "name@example.org" is an address, "@example.org" or
    "example.org" a whole domain; BlacklistError with a translated reason otherwise."""
    text = (text or "").strip().strip("\"'()[]")
    if not text:
        raise BlacklistError(_("Please give an address or a domain."))
    if text.startswith("@") or "@" not in text:
        domain = text.lstrip("@").lower().rstrip(".")
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError:
            raise BlacklistError(_("%(value)s is not a valid domain.", value=text)) from None
        if not DOMAIN.match(domain):
            raise BlacklistError(_("%(value)s is not a valid domain.", value=text))
        return "domain", domain
    try:
        return "address", normalise_email(text)
    except InvalidEmail:
        raise BlacklistError(_("%(value)s is not a valid e-mail address.", value=text)) from None


def add(user, text: str, reason: str = "manual", note: str = "") -> BlacklistEntry | None:
    """Put one address or domain on the blacklist; None when it is there already."""
    from app.audit.services import record

    kind, value = parse(text)
    if reason not in REASONS:
        raise BlacklistError(_("Unknown reason."))
    with db.atomic():
        if BlacklistEntry.select().where(BlacklistEntry.value == value).exists():
            return None
        entry = BlacklistEntry.create(
            kind=kind,
            value=value,
            reason=reason,
            note=(note or "").strip()[: BlacklistEntry.note.max_length],
            created_by=user.id if user else None,
        )
        record(
            "blacklist.add",
            target_type="blacklist_entry",
            target_id=entry.id,
            target_label=value,
            details={"kind": kind, "reason": reason},
        )
    return entry


def add_many(user, text: str, reason: str = "import") -> dict:
    """Paste: every address or domain in the text (any separators); returns counts and
    the words that were neither."""
    words = [w for w in SPLIT.split(text or "") if w.strip()]
    if len(words) > PASTE_MAX:
        raise BlacklistError(_("At most %(n)d entries at once, please.", n=PASTE_MAX))
    added, present, invalid = 0, 0, []
    for word in dict.fromkeys(words):
        if "@" not in word and "." not in word:
            continue  # names between the addresses
        try:
            entry = add(user, word, reason)
        except BlacklistError:
            invalid.append(word)
            continue
        added, present = added + (entry is not None), present + (entry is None)
    return {"added": added, "present": present, "invalid": invalid}


def remove(user, entry_id: int) -> BlacklistEntry | None:
    from app.audit.services import record

    entry = BlacklistEntry.get_or_none(BlacklistEntry.id == entry_id)
    if entry is None:
        return None
    with db.atomic():
        record(
            "blacklist.remove",
            target_type="blacklist_entry",
            target_id=entry.id,
            target_label=entry.value,
            details={"kind": entry.kind, "reason": entry.reason},
        )
        entry.delete_instance()
    return entry


def blacklisted(addresses) -> set[str]:
    """The given (normalised) addresses that are on the blacklist, by themselves or by
    their domain; a fixed number of queries for any number of addresses."""
    addresses = {a.lower() for a in addresses if a}
    if not addresses:
        return set()
    found: set[str] = set()
    values = list(addresses)
    domains = {a.rsplit("@", 1)[-1] for a in addresses}
    for start in range(0, len(values), 900):
        chunk = values[start : start + 900]
        found |= {
            v
            for (v,) in BlacklistEntry.select(BlacklistEntry.value)
            .where((BlacklistEntry.kind == "address") & BlacklistEntry.value.in_(chunk))
            .tuples()
        }
    blocked_domains = set()
    domain_list = list(domains)
    for start in range(0, len(domain_list), 900):
        chunk = domain_list[start : start + 900]
        blocked_domains |= {
            v
            for (v,) in BlacklistEntry.select(BlacklistEntry.value)
            .where((BlacklistEntry.kind == "domain") & BlacklistEntry.value.in_(chunk))
            .tuples()
        }
    found |= {a for a in addresses if a.rsplit("@", 1)[-1] in blocked_domains}
    return found


# --- import and export (administrators) ------------------------------------------------------

IMPORT_MAX_BYTES = 10 * 1024 * 1024
# headers of the column with the entries (and of an optional note column), compared
# lower-case without spaces, hyphens and dots; the export's own headers are among them
ENTRY_HEADERS = {
    "value", "entry", "address", "addresses", "email", "emailaddress", "mail", "domain",
    "addressordomain", "adresse", "adressen", "emailadresse", "adresseoderdomain", "eintrag",
    "wert",
}  # fmt: skip
NOTE_HEADERS = {"note", "notes", "notiz", "bemerkung", "anmerkung", "comment", "kommentar"}
INVALID_SHOWN = 200


def _header_key(text: str) -> str:
    return re.sub(r"[\s._\-]+", "", text or "").lower()


def _columns(first: list[str]) -> tuple[int, int | None, bool]:
    """(entry column, note column or None, whether the row is a header row)."""
    keys = [_header_key(cell) for cell in first]
    entry = next((i for i, key in enumerate(keys) if key in ENTRY_HEADERS), None)
    if entry is None:
        return 0, None, False
    note = next((i for i, key in enumerate(keys) if key in NOTE_HEADERS), None)
    return entry, note, True


def import_file(user, path, file_name: str) -> dict:
    """Put the addresses and domains of an uploaded .xlsx or .csv file on the blacklist:
    one entry per line, in the first column or in the column headed "E-Mail", "Address",
    "Domain", "Address or domain" … (a "Note" column is taken along). The file is checked
    and read by the import's reader (app.transfer.reading: zip and XML bombs, row limit,
    encodings). Returns the counts and the invalid lines (number, text); one audit entry
    for the whole import. ImportFileError for a file that cannot be read."""
    from app.audit.services import record
    from app.transfer import reading

    info = reading.inspect(path)
    sheet = info.sheets[0]
    limit = reading.max_rows()
    if sheet.rows > limit + 1:
        raise reading.ImportFileError(
            _(
                "The file has %(rows)d rows; at most %(limit)d can be read at once.",
                rows=sheet.rows,
                limit=limit,
            )  # fmt: skip
        )
    entries: dict[str, tuple[str, str]] = {}  # value → (kind, note), in file order
    invalid: list[tuple[int, str]] = []
    invalid_count = lines = repeated = 0
    entry_col, note_col, header = 0, None, False
    for number, row in enumerate(
        reading.rows(path, info.kind, sheet.name, info.encoding, info.delimiter), start=1
    ):
        if not any(cell.strip() for cell in row):
            continue
        if lines == 0:
            entry_col, note_col, header = _columns(row)
            lines = 1
            if header:
                continue
        lines += 1
        text = row[entry_col].strip() if entry_col < len(row) else ""
        note = row[note_col].strip() if note_col is not None and note_col < len(row) else ""
        try:
            kind, value = parse(text)
        except BlacklistError:
            invalid_count += 1
            if len(invalid) < INVALID_SHOWN:
                invalid.append((number, text[:254] or "–"))
            continue
        if value in entries:
            repeated += 1
            continue
        entries[value] = (kind, note[: BlacklistEntry.note.max_length])
    values = list(entries)
    with db.atomic():
        present = set()
        for start in range(0, len(values), 900):
            chunk = values[start : start + 900]
            present |= {
                v
                for (v,) in BlacklistEntry.select(BlacklistEntry.value)
                .where(BlacklistEntry.value.in_(chunk))
                .tuples()
            }
        new = [
            {
                "kind": entries[v][0],
                "value": v,
                "reason": "import",
                "note": entries[v][1],
                "created_by": user.id if user else None,
            }
            for v in values
            if v not in present
        ]
        for start in range(0, len(new), 500):
            BlacklistEntry.insert_many(new[start : start + 500]).execute()
        result = {
            "added": len(new),
            "present": len(present),
            "repeated": repeated,
            "invalid": invalid_count,
            "invalid_lines": invalid,
            "header": header,
        }
        record(
            "blacklist.import",
            target_type="blacklist_entry",
            target_id=None,
            target_label=file_name[:200],
            details={
                "file": file_name[:200],
                "added": result["added"],
                "present": result["present"],
                "invalid": invalid_count,
                "repeated": repeated,
            },
        )
    return result


def export_xlsx(target) -> int:
    """Every entry as an .xlsx sheet (app.exports.xlsx: text cells, formula-safe); returns
    the number of rows. The caller audits."""
    from flask_babel import lazy_gettext as _l

    from app.exports.xlsx import Column, write_xlsx

    columns = [
        Column("value", _l("Address or domain"), lambda e: e.value, 36),
        Column("kind", _l("Kind"), lambda e: e.kind, 10),
        Column("reason", _l("Why"), lambda e: str(REASONS.get(e.reason, e.reason)), 18),
        Column("note", _l("Note"), lambda e: e.note, 36),
        Column("created_at", _l("Since"), lambda e: e.created_at, 17),
    ]
    entries = BlacklistEntry.select().order_by(BlacklistEntry.value).iterator()
    return write_xlsx(target, columns, entries, title="Blacklist")

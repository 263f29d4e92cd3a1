"""Reading untrusted spreadsheets: every file is checked before a parser sees it, then its
rows are streamed as lists of text.

- .xlsx: a zip with `[Content_Types].xml` and `xl/workbook.xml`; limits on the number of
  entries, the unpacked size and the packing ratio (zip bombs), no document type
  declarations in any XML part (XML bombs); the rows of every sheet are counted by
  scanning the unpacked XML in chunks (bounded memory), so a sheet over the row limit is
  refused before it is read. The sheets are read with python-calamine (Rust; it does not
  expand XML entities), many times faster than openpyxl (docs/decisions.md D42); the
  workbook's own index is parsed with defusedxml.
- .csv: not binary; the encoding (UTF-8, UTF-8 with BOM, else Windows-1252) and the
  delimiter (semicolon, comma or tab) are detected; rows are streamed.
- An OLE2 compound file (an encrypted workbook, or an old .xls) is named as such.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from itertools import islice

from flask import current_app
from flask_babel import gettext as _

MAX_UPLOAD = 50 * 1024 * 1024  # bytes of the uploaded file
MAX_ENTRIES = 1000  # files inside an .xlsx
MAX_UNPACKED = 1024 * 1024 * 1024  # bytes of all its files together
MAX_RATIO = 200  # unpacked / packed size of one large entry
RATIO_FROM = 1024 * 1024  # entries smaller than this may pack better (tiny XML parts)
DEFAULT_MAX_ROWS = 200_000
MAX_COLUMNS = 200
HEADER_SCAN = 10  # rows in which the header row is looked for
CHUNK = 256 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


class ImportFileError(ValueError):
    """The file cannot be imported; the message is for the person who chose it."""


def max_rows() -> int:
    return int(current_app.config.get("IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS)


@dataclass
class SheetInfo:
    name: str
    rows: int  # rows present in the sheet, the header included
    part: str = ""  # the zip entry of an .xlsx sheet


@dataclass
class FileInfo:
    kind: str  # xlsx, csv
    sheets: list[SheetInfo] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    def sheet(self, name: str) -> SheetInfo:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise ImportFileError(_("The workbook has no sheet of this name."))


def inspect(path) -> FileInfo:
    """Check a stored upload and describe it; ImportFileError with a clear message for
    anything that is not a readable spreadsheet within the limits."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        handle.seek(0, io.SEEK_END)
        size = handle.tell()
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    if head.startswith(OLE2_MAGIC):
        raise ImportFileError(
            _(
                "The file is an encrypted workbook or an old Excel file (.xls). Please "
                "remove the password or save it as .xlsx, then upload it again."
            )
        )
    if head.startswith(ZIP_MAGIC):
        return _inspect_xlsx(path)
    return _inspect_csv(path)


# --- xlsx ----------------------------------------------------------------------------------


def _not_a_workbook() -> ImportFileError:
    return ImportFileError(_("The file is not an Excel workbook (.xlsx) or a CSV file."))


def _inspect_xlsx(path) -> FileInfo:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_a_workbook() from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise ImportFileError(_("The workbook holds too many parts to be read safely."))
        names = {e.filename for e in entries}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise _not_a_workbook()
        if any(e.flag_bits & 0x1 for e in entries):
            raise ImportFileError(_("The workbook is encrypted. Please remove the password."))
        if sum(e.file_size for e in entries) > MAX_UNPACKED:
            raise _too_big_unpacked()
        for entry in entries:
            if entry.file_size > RATIO_FROM and entry.file_size > MAX_RATIO * max(
                entry.compress_size, 1
            ):
                raise _too_big_unpacked()
        sheets = _sheet_parts(archive)
        counts = {}
        unpacked = 0
        for entry in entries:
            if not entry.filename.endswith((".xml", ".rels")):
                continue
            rows, size = _scan_part(archive, entry, count_rows=entry.filename in sheets.values())
            unpacked += size
            if unpacked > MAX_UNPACKED:
                raise _too_big_unpacked()
            counts[entry.filename] = rows
    infos = [SheetInfo(name, counts.get(part, 0), part) for name, part in sheets.items()]
    if not infos:
        raise ImportFileError(_("The workbook has no sheets."))
    return FileInfo("xlsx", infos)


def _too_big_unpacked() -> ImportFileError:
    return ImportFileError(
        _("The workbook unpacks to far more data than a contact list holds; it is not read.")
    )


def _scan_part(archive, entry, count_rows: bool) -> tuple[int, int]:
    """Unpack one part in chunks: refuse document type declarations (XML is case-sensitive,
    so the upper-case keywords are the only ones a parser would take), count rows."""
    rows = size = 0
    tail = b""  # the end of the previous chunk: a keyword may span two chunks
    prefixed = None  # a sheet written with a namespace prefix (<x:row …>)
    try:
        with archive.open(entry) as part:
            while chunk := part.read(CHUNK):
                size += len(chunk)
                if size > entry.file_size or size > MAX_UNPACKED:
                    raise _too_big_unpacked()
                joined = tail + chunk
                if b"<!DOCTYPE" in joined or b"<!ENTITY" in joined:
                    raise ImportFileError(
                        _(
                            "The workbook contains XML entity declarations, which spreadsheets "
                            "never need; it is not read."
                        )
                    )
                if count_rows:
                    if prefixed is None:
                        prefixed = b"<worksheet" not in joined
                    # from the tail's last 4 bytes on, which cannot hold a whole "<row "
                    # themselves: a tag across two chunks is counted once
                    edge = joined[max(len(tail) - 4, 0) :]
                    if prefixed:
                        rows += sum(1 for _match in _ROW_TAG.finditer(edge))
                    else:
                        rows += edge.count(b"<row ") + edge.count(b"<row>")
                tail = joined[-8:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError):
        raise ImportFileError(_("The workbook is damaged and cannot be read.")) from None
    return rows, size


def _xml(archive, name):
    from defusedxml import ElementTree

    try:
        return ElementTree.fromstring(archive.read(name))
    except Exception:
        raise ImportFileError(_("The workbook is damaged and cannot be read.")) from None


def _sheet_parts(archive) -> dict[str, str]:
    """{sheet name: zip entry of its XML} in the workbook's order (worksheets only)."""
    workbook = _xml(archive, "xl/workbook.xml")
    try:
        rels = _xml(archive, "xl/_rels/workbook.xml.rels")
    except KeyError:
        raise _not_a_workbook() from None
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship")
        if rel.get("Type", "").endswith("/worksheet")
    }
    parts = {}
    for sheet in workbook.iter(f"{{{_MAIN_NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{_REL_NS}}}id"))
        if not target:
            continue  # a chart sheet or a macro sheet
        part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        parts[sheet.get("name", "")[:100]] = posixpath.normpath(part)
    return parts


def _xlsx_rows_calamine(path, sheet: str):
    """Rows of a sheet from column A on, read by python-calamine (Rust)."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        with open(path, "rb") as handle:  # the content decides, not an extension
            workbook = CalamineWorkbook.from_filelike(handle)
        data = workbook.get_sheet_by_name(sheet)
        workbook.close()  # the sheet holds its cells; the file's bytes and strings go (9 MB)
    except (CalamineError, OSError, ValueError) as exc:
        raise ImportFileError(
            _("The workbook is damaged and cannot be read (%(reason)s).", reason=str(exc)[:200])
        ) from None
    start = data.start or (0, 0)
    for _row in range(start[0]):
        yield []
    pad = [""] * start[1]
    for row in data.iter_rows():
        yield pad + [v.strip() if type(v) is str else text(v) for v in row]  # most are text


# --- csv -----------------------------------------------------------------------------------


def _inspect_csv(path) -> FileInfo:
    with open(path, "rb") as handle:
        sample = handle.read(64 * 1024)
    if b"\x00" in sample:
        raise _not_a_workbook()
    encoding = _encoding(path, sample)
    sample_text = sample.decode(encoding, errors="ignore")
    delimiter = _delimiter(sample_text)
    count = 0
    try:
        for _row in _csv_rows(path, encoding, delimiter):
            count += 1
    except (csv.Error, UnicodeDecodeError):
        raise ImportFileError(_("The CSV file cannot be read: its quoting is broken.")) from None
    return FileInfo("csv", [SheetInfo("", count)], encoding=encoding, delimiter=delimiter)


def _encoding(path, sample: bytes) -> str:
    """utf-8-sig with a byte-order mark, utf-8 if the whole file decodes so, else cp1252."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        raise _not_a_workbook() from None
    return "cp1252"


def _delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of columns most
    often; a tie goes to more columns. csv.Sniffer guesses letters on short samples."""
    lines = sample.splitlines()[:-1] or sample.splitlines()
    lines = [line for line in lines if line.strip()][:50]
    best, best_score = ",", (0, 0)
    for candidate in (";", ",", "\t"):
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=candidate)]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        score = (sum(1 for w in widths if w == widths[0]), widths[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _csv_rows(path, encoding: str, delimiter: str):
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        for row in csv.reader(handle, delimiter=delimiter):
            yield [value.strip() for value in row]


# --- rows ----------------------------------------------------------------------------------


def text(value) -> str:
    """A cell as text: numbers without a useless ".0" (a postcode 10115, not 10115.0),
    dates as ISO dates. Bare numbers are not taken for dates (a postcode would be one)."""
    if type(value) is str:  # most cells
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    return str(value).strip()


def rows(path, kind: str, sheet: str = "", encoding: str = "", delimiter: str = ""):
    """Every row of the sheet (or CSV file) as a list of texts, from the first row on."""
    if kind == "csv":
        yield from _csv_rows(path, encoding, delimiter)
    else:
        yield from _xlsx_rows_calamine(path, sheet)


def first_rows(path, info: FileInfo, sheet: str, count: int) -> list[list[str]]:
    """The first `count` rows for header detection and the preview."""
    return list(
        islice(
            rows(path, info.kind, sheet, info.encoding, info.delimiter),
            count,
        )
    )

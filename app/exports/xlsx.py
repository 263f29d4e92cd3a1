"""Writing rows to an .xlsx sheet in constant memory, safe against formula injection.

Any export of rows (a list's members, later a mailing's recipients or an event's
participants) describes its columns as `Column`s and hands an iterator of rows to
`write_xlsx`; nothing else here knows what a row is.

Formula injection: every text is written as a *string* cell (`write_string`, and the
workbook's automatic conversions of strings to formulas, numbers and links are off), so no
cell is ever a formula, whatever it says. A text that a spreadsheet would read as a formula
when the cell is edited or pasted — starting with =, +, -, @, a tab or a carriage return —
gets in addition the cell style `quotePrefix`, the stored form of Excel's leading
apostrophe: Excel and LibreOffice show the text unchanged and keep it text when the cell is
edited, and no apostrophe becomes part of the value. So "+49 30 1234567" reads as that
phone number, not as a formula, and not as "'+49 …" (docs/decisions.md D38).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import xlsxwriter

# what starts a formula (or a DDE call) when a spreadsheet parses typed or pasted text
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_TEXT = 32_767  # Excel's limit for one cell
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    """One column of an export: a key (kept in forms and the audit trail), the header in
    the user's language, and how to get the value from a row (text, number, date/time or
    None for an empty cell)."""

    key: str
    label: object
    value: Callable[[object], object]
    width: int = 18


def needs_quote(text: str) -> bool:
    """Whether a spreadsheet would take the text for a formula."""
    return text.startswith(FORMULA_STARTS)


def sheet_name(name: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = " ".join(str(name).translate(SHEET_NAME_FORBIDDEN).split()).strip("'")
    return cleaned[:SHEET_NAME_MAX] or "Export"


def write_xlsx(target, columns: list[Column], rows: Iterable, title: str = "Export") -> int:
    """Write a header row and one row per item of `rows` to `target` (a path or a binary
    file object) as one worksheet; returns the number of data rows. The workbook flushes
    every row to a temporary file as it goes (XlsxWriter's constant_memory mode), so the
    memory used does not grow with the number of rows."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    header = workbook.add_format({"bold": True, "bottom": 1})
    quoted = workbook.add_format({"quote_prefix": True})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet = workbook.add_worksheet(sheet_name(title))
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width)
        _write_text(sheet, 0, index, str(column.label), quoted, header)
    sheet.freeze_panes(1, 0)
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007 (count is the result)
        for index, column in enumerate(columns):
            value = column.value(row)
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_boolean(count, index, value)
            elif isinstance(value, int | float):
                sheet.write_number(count, index, value)
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(count, index, value.replace(tzinfo=None), moment)
            else:
                _write_text(sheet, count, index, str(value), quoted)
    if columns:
        sheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
    workbook.close()
    return count


def _write_text(sheet, row: int, col: int, text: str, quoted, cell_format=None) -> None:
    text = text[:MAX_TEXT]
    sheet.write_string(row, col, text, quoted if needs_quote(text) else cell_format)

"""Recreate the bad and good input files of the import tests (tests/transfer/):

    python tests/data/make_files.py

Every file here is small; the large ones (a million rows, a 100,000-row benchmark file) are
written at test time by the functions below into a temporary directory.
"""

from __future__ import annotations

import datetime
import struct
import sys
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
OOXML = "http://schemas.openxmlformats.org"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
FIXED = datetime.datetime(2026, 1, 1, 12, 0, 0)
GERMAN_HEADERS = ["Anrede", "Titel", "Vorname", "Nachname", "E-Mail", "Telefon", "Medium"]
GERMAN_HEADERS += ["Ressort", "Position", "PLZ", "Ort", "Themen"]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{SHEET_TYPE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{SHEET_TYPE}.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    f'ContentType="{SHEET_TYPE}.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    f'Type="{OOXML}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Kontakte" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{OOXML}/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{OOXML}/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>'
    "</Relationships>"
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def _inline_row(number: int, values) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def hand_made_xlsx(path: Path, rows=(), shared_strings: str | None = None, sheet_rows=None):
    """A minimal workbook written without a library: the rows as inline strings (or the
    XML of `sheet_rows`, an iterable of row strings, streamed), optional shared strings."""
    shared_strings = shared_strings or (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" '
        'uniqueCount="0"/>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/sharedStrings.xml", shared_strings),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=FIXED.timetuple()[:6]), text)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=FIXED.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as sheet:
            sheet.write(SHEET_HEAD.encode())
            if sheet_rows is None:
                sheet_rows = (_inline_row(n, r) for n, r in enumerate(rows, start=1))
            buffer = []
            for row in sheet_rows:
                buffer.append(row)
                if len(buffer) >= 5000:
                    sheet.write("".join(buffer).encode())
                    buffer = []
            sheet.write(("".join(buffer) + SHEET_TAIL).encode())
    return path


def million_rows(path: Path, rows: int = 1_048_576) -> Path:
    """Excel's maximum: a header and 1,048,575 persons, streamed (bounded memory)."""

    def sheet_rows():
        yield _inline_row(1, ["Vorname", "Nachname", "E-Mail"])
        for n in range(2, rows + 1):
            yield _inline_row(n, [f"Vorname{n % 977}", f"Name{n}", f"p{n}@beispiel.de"])

    return hand_made_xlsx(path, sheet_rows=sheet_rows())


def people_xlsx(path: Path, rows: int, *, constant_memory: bool = False) -> Path:
    """A realistic press list with the twelve German columns (shared strings, as Excel
    writes them unless `constant_memory`)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    workbook.set_properties({"created": FIXED})
    sheet = workbook.add_worksheet("Kontakte")
    sheet.write_row(0, 0, GERMAN_HEADERS)
    for i in range(1, rows + 1):
        sheet.write_row(
            i,
            0,
            [
                "Frau" if i % 2 else "Herr",
                "Dr." if i % 7 == 0 else "",
                f"Vorname{i % 997}",
                f"Nachname{i}",
                f"person{i}@redaktion{i % 50}.example",
                f"+49 30 {1_000_000 + i}",
                f"Medium {i % 300}",
                ["Politik", "Wirtschaft", "Kultur", "Sport"][i % 4],
                "Redakteurin" if i % 2 else "Redakteur",
                f"{10000 + i % 89999}",
                ["Berlin", "München", "Köln", "Düsseldorf"][i % 4],
                "Politik, Wirtschaft" if i % 3 else "Kultur",
            ],
        )
    workbook.close()
    return path


def _xlsxwriter(name: str):
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(HERE / name))
    workbook.set_properties({"created": FIXED})
    return workbook


def only_headers():
    workbook = _xlsxwriter("only_headers.xlsx")
    workbook.add_worksheet("Kontakte").write_row(0, 0, GERMAN_HEADERS)
    workbook.close()


def merged_headers():
    """A merged title row above the headers, and "Name" merged over first and last name."""
    workbook = _xlsxwriter("merged_headers.xlsx")
    sheet = workbook.add_worksheet("Verteiler")
    sheet.merge_range("A1:D1", "Presseverteiler Frühjahr 2026")
    sheet.merge_range("A2:B2", "Name")
    sheet.write_row(1, 2, ["E-Mail", "Medium"])
    sheet.write_row(2, 0, ["Anna", "Schäfer", "anna.schaefer@zeitung.example", "Tagesblatt"])
    sheet.write_row(3, 0, ["Bernd", "Öztürk", "b.oeztuerk@radio.example", "Radio Eins"])
    workbook.add_worksheet("Notizen").write_row(0, 0, ["nichts", "hier"])
    workbook.close()


def formulas_and_dates():
    """Formulas with cached values, a date cell and an Excel serial number, a numeric PLZ."""
    workbook = _xlsxwriter("formulas_dates.xlsx")
    sheet = workbook.add_worksheet("Kontakte")
    dates = workbook.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_row(0, 0, ["Vorname", "Nachname", "E-Mail", "PLZ", "Notizen", "Position"])
    sheet.write_row(1, 0, ["Clara", "Weiß", "clara@example.de", 10115])
    sheet.write_datetime(1, 4, datetime.datetime(2026, 3, 1), dates)
    sheet.write_formula(1, 5, '=UPPER("chefin")', None, "CHEFIN")
    sheet.write_row(2, 0, ["Dieter", "Groß", "dieter@example.de", 80331, 45658])
    sheet.write_formula(2, 5, '="Redakteur"', None, "Redakteur")
    sheet.write_formula(3, 1, '=A4&"mann"', None, "Ehmann")
    sheet.write_row(3, 2, ["ehmann@example.de", 50667])
    sheet.write(3, 0, "Eva")
    workbook.close()


def csv_files():
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "empty.xlsx").write_bytes(b"")
    (HERE / "windows1252.csv").write_bytes(
        "Anrede;Vorname;Nachname;E-Mail;Medium;Ort;Straße\r\n"
        "Frau;Jürgen;Müller-Lüdenscheidt;j.mueller@sueddeutsche.example;Süddeutsche;München;"
        "Schöne Aussicht 3\r\n"
        "Herr;Øyvind;Weiß;weiss@zeitung.example;Kölner Stadt-Anzeiger;Köln;Große Straße 1\r\n"
        "".encode("cp1252")
    )
    (HERE / "utf8_bom_tab.csv").write_bytes(
        "\ufeffFirst name\tLast name\tEmail\tOutlet\tTopics\n"
        "Zoë\tÅngström\tzoe@example.org\tThe Daily\tScience, Space\n".encode()
    )
    (HERE / "invalid_emails.csv").write_text(
        "Vorname,Nachname,E-Mail\n"
        "Ida,Gut,ida@example.de\n"
        "Otto,Falsch,otto-at-example.de\n"
        "Paul,Kaputt,paul@@example\n"
        ",,\n"
        "Rita,,rita@example.de\n",
        encoding="utf-8",
    )
    (HERE / "duplicates.csv").write_text(
        "Vorname;Nachname;E-Mail;Ort\n"
        "Sara;Sommer;sara@example.de;Berlin\n"
        "Tom;Tal;tom@example.de;Hamburg\n"
        "Sara;Sommer;SARA@Example.de ;Potsdam\n"
        "Sara;Sommer;sara@example.de;Berlin\n",
        encoding="utf-8",
    )
    (HERE / "german.csv").write_text(
        "Anrede;Titel;Vorname;Nachname;E-Mail;Telefon;Medium;Ressort;Funktion;Straße;PLZ;Ort;"
        "Land;Sprache;Themen;Notizen\n"
        "Frau;Dr.;Hanna;Schröder;hanna.schroeder@tagblatt.example;+49 30 1234;Tagblatt;"
        "Politik;Redakteurin;Unter den Linden 1;10117;Berlin;DE;de;Politik, Europa;Kennt uns\n"
        "Herr;;Jörg;Bäcker;joerg.baecker@radio.example;;Radio Süd;Kultur;Moderator;;80331;"
        "München;DE;de;Kultur;\n"
        "Herr;;Kai;Ohnemail;keine-adresse;;;;;;;;;;;\n",
        encoding="utf-8",
    )


def not_a_spreadsheet():
    """A real PNG (one white pixel) with a spreadsheet's name."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b"")
    (HERE / "not_a_spreadsheet.xlsx").write_bytes(png)


def encrypted():
    """The start of an OLE2 compound file, the container of every encrypted .xlsx (and of
    old .xls files): the signature and a 512-byte header."""
    header = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 16
    header += struct.pack("<HHHH", 0x003E, 0x0003, 0xFFFE, 0x0009) + b"\x00" * 6
    header = header.ljust(512, b"\xff")
    (HERE / "encrypted.xlsx").write_bytes(header + b"\x00" * 512)


def zip_bomb():
    """A workbook whose sheet unpacks 80 KB into 200 MB of spaces."""
    path = HERE / "zip_bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=FIXED.timetuple()[:6]), text)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=FIXED.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as sheet:
            sheet.write(SHEET_HEAD.encode())
            block = b" " * (1024 * 1024)
            for _ in range(200):
                sheet.write(block)
            sheet.write(SHEET_TAIL.encode())


def xml_bomb():
    """ "Billion laughs" in the shared strings of an otherwise valid workbook."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    shared = (
        f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    rows = [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Nachname</t></is></c></row>',
        '<row r="2"><c r="A2" t="s"><v>0</v></c></row>',
    ]
    hand_made_xlsx(HERE / "xml_bomb.xlsx", shared_strings=shared, sheet_rows=rows)


def main() -> None:
    csv_files()
    not_a_spreadsheet()
    encrypted()
    only_headers()
    merged_headers()
    formulas_and_dates()
    zip_bomb()
    xml_bomb()
    print(f"written to {HERE}", file=sys.stderr)


if __name__ == "__main__":
    main()

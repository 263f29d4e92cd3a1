"""The file store: the bytes of uploaded documents (and later the media centre), kept under
`DATA_DIR/files/` by their SHA-256, so the same file uploaded twice is stored once and the
backup (which archives the data directory) carries every file.

Records keep the digest, the name the user gave, the size and the type; the store knows
nothing about them. Every model that references files is named in `REFERENCES` (module,
model, digest field), so that `release()` deletes the bytes only when no record points at
them.
"""

from __future__ import annotations

import hashlib
import importlib
import mimetypes
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file

CHUNK = 1024 * 1024
DIGEST = re.compile(r"^[0-9a-f]{64}$")
# Types the browser may show inline; everything else is offered as a download of unknown
# type, so an uploaded HTML or SVG file can never run in the app's origin.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
REFERENCES = [
    ("app.contacts.models", "HistoryEntry", "file_sha256"),
    ("app.mailings.models", "MailingAttachment", "file_sha256"),
    ("app.transfer.models", "ImportJob", "file_sha256"),
]


class FileTooLarge(ValueError):
    pass


class EmptyFile(ValueError):
    pass


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    name: str
    size: int
    content_type: str


def root() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "files"


def path_for(sha256: str) -> Path:
    if not DIGEST.match(sha256 or ""):
        raise ValueError("not a SHA-256 digest")
    return root() / sha256[:2] / sha256


def clean_name(name: str) -> str:
    """A file name safe to show and to send back: no directories, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    return name[:254] or "file"


def save(stream, name: str, max_bytes: int) -> StoredFile:
    """Store the bytes of `stream` (an upload) and describe them. The bytes go to a
    temporary file first and are renamed into place, so a half-written file never appears
    under its digest; `FileTooLarge` beyond `max_bytes`, `EmptyFile` for nothing at all."""
    directory = root()
    directory.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle, temp = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(name)
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise EmptyFile(name)
        target = path_for(digest.hexdigest())
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            os.unlink(temp)
        else:
            os.chmod(temp, 0o640)
            os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    name = clean_name(name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return StoredFile(digest.hexdigest(), name, size, content_type[:127])


def send(sha256: str, name: str, content_type: str):
    """A response with the stored file: inline only for harmless types, else a download."""
    inline = content_type in INLINE_TYPES
    response = send_file(
        path_for(sha256),
        mimetype=content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        download_name=clean_name(name),
        conditional=True,
        etag=sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def release(sha256: str) -> bool:
    """Delete the bytes when no registered record references them any more; True if so."""
    if not sha256:
        return False
    for module, model_name, field in REFERENCES:
        model = getattr(importlib.import_module(module), model_name)
        if model.select().where(getattr(model, field) == sha256).exists():
            return False
    try:
        path_for(sha256).unlink()
    except FileNotFoundError:
        return False
    return True

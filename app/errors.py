"""Error pages: plain, translated, with a reference id for support — never a stack trace."""

from __future__ import annotations

import logging
import secrets

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from app.htmx import is_htmx

log = logging.getLogger("depesche.errors")

MESSAGES = {
    400: _l("The request could not be understood. Please reload the page and try again."),
    403: _l("You do not have the right to do this."),
    404: _l("This page does not exist, or it is not visible to you."),
    405: _l("This action is not possible here."),
    413: _l("The upload is too large."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Please try again later."),
}


def init_errors(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _render(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        reference = secrets.token_hex(4)
        log.exception("error %s on %s %s", reference, request.method, request.path)
        return _render(InternalServerError.code, reference)


def _render(code: int, reference: str | None = None):
    reference = reference or secrets.token_hex(4)
    if code >= 500 and reference:
        log.error("error %s (%s) on %s %s", reference, code, request.method, request.path)
    message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, message=message, reference=reference), code

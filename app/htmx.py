"""htmx conventions (DESIGN rule 3): a partial for htmx requests, the full page otherwise."""

from __future__ import annotations

import json

from flask import make_response, render_template, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_partial() -> bool:
    """An htmx request that wants a fragment: set by htmx, but not a boosted navigation and
    not a history restore (going back to a URL pushed by a fragment request needs the
    whole page)."""
    return (
        is_htmx()
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, partial: str | None = None, **context):
    """Render `partial` for an htmx fragment request, else the full `page`."""
    return render_template(partial if partial and is_partial() else page, **context)


def hx_redirect(url: str, status: int = 200):
    """Tell htmx to navigate the whole window (a plain redirect would fill a fragment)."""
    response = make_response("", status)
    response.headers["HX-Redirect"] = url
    return response


def hx_trigger(response, event: str, detail=None):
    """Add a client-side event to a response (`HX-Trigger`), keeping earlier ones."""
    events = json.loads(response.headers.get("HX-Trigger", "{}") or "{}")
    events[event] = detail if detail is not None else True
    response.headers["HX-Trigger"] = json.dumps(events)
    return response

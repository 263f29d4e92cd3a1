"""Fragments of a page that depend on their values alone — no words to translate, no URLs,
nothing of the request or the user — rendered once per process and values (D41). The
contacts page repeats the same hundred topics twice on every request (the filter's options
and the bulk form's names): 0.3 ms of escaping and looping, the same text each time.

    {{ fragment("contacts/_topic_options.html", topics=topics, chosen=chosen) }}

The values are the key (lists are taken as tuples): a changed topic is a new key, so
nothing is ever out of date; the oldest are dropped past `KEPT` fragments."""

from __future__ import annotations

import functools

from flask import current_app
from markupsafe import Markup

KEPT = 256


def fragment(name: str, **values) -> Markup:
    """The template `name` rendered with `values` alone (escaped as every .html template)."""
    key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))
    return _rendered(current_app.jinja_env, name, key)


@functools.lru_cache(maxsize=KEPT)
def _rendered(environment, name: str, key: tuple) -> Markup:
    return Markup(environment.get_template(name).render(dict(key)))  # noqa: S704  # nosec B704 (autoescaped)

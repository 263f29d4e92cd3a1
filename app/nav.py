"""The main navigation: each feature registers its entry when its blueprint is imported,
so a module that is not built is simply absent from the menu."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import request
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string
    order: int
    allowed: Callable | None = None  # user -> bool; None: every signed-in user
    prefix: str | None = None  # URL prefix that marks the entry as current


_ITEMS: dict[str, NavItem] = {}


def register(endpoint: str, label, order: int, allowed=None, prefix=None) -> None:
    _ITEMS[endpoint] = NavItem(endpoint, label, order, allowed, prefix)


def nav_items():
    """The entries the current user may use, each with `current` set for the open page."""
    if not current_user.is_authenticated:
        return []
    items = []
    for item in sorted(_ITEMS.values(), key=lambda i: i.order):
        if item.allowed is None or item.allowed(current_user):
            current = request.endpoint == item.endpoint or bool(
                item.prefix and request.path.startswith(item.prefix)
            )
            items.append((item, current))
    return items

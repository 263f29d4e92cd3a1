"""Paging of list screens (D20): a page number read from the query string, one page of a
query with its total, a page past the end showing the last one, and the clean parameters of
a list URL. Used by the outlets screen; the contacts screen could adopt it."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil


@dataclass
class Page:
    items: list
    total: int
    page: int
    pages: int


def page_number(value) -> int:
    """A page number from the query string: a positive number, else 1."""
    value = value if isinstance(value, str) else ""
    return int(value) if value.isdigit() and 0 < len(value) < 9 and int(value) > 0 else 1


def page_of(query, page: int, size: int) -> Page:
    """Page `page` (from 1) of `query` with `size` items and the total count; a page past
    the end gives the last page (whose number the result carries)."""
    total = query.order_by().count()
    pages = max(1, ceil(total / size))
    page = min(max(1, page), pages)
    return Page(list(query.limit(size).offset((page - 1) * size)), total, page, pages)


def clean_params(values: dict, defaults: dict) -> dict:
    """The parameters of a list URL without empty values and defaults, so that the address
    bar shows only what the user chose."""
    return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}

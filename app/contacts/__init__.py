"""Persons (journalists and other contacts, SPEC C1), topics (C3) and the search over them
(C4)."""

"""Mailings: composer, recipients, pre-send check, dispatch, reports (SPEC M2-M10)."""

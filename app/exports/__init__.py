"""Exports (SPEC L4–L6): a list's members as .xlsx, the administrator's full data export
(a ZIP of CSV files and the stored files), and a person's data-subject access report."""

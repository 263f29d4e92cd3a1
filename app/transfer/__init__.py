"""Imports of persons from spreadsheets (SPEC L3): checked files, column mapping, a batched
huey task and its report; the same import from the command line (`depesche import`)."""

"""The blacklist: addresses and domains no mailing ever goes to (SPEC M8)."""

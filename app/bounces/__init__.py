"""Bounce handling (SPEC M7): intake from the MTA's pipe and the bounce mailbox (IMAP),
the reading of DSNs and their non-standard cousins, hard/soft per address, the screen to
correct undeliverable addresses, and the administrators' review of unreadable bounces."""

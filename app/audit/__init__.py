"""The audit trail (SPEC S7, B2): who changed what and when, tamper-evident.

Entries are written by services in the same transaction as the change they describe.
Each entry carries a SHA-256 hash over its content and the previous entry's hash; the
`audit_head` row, updated first in every append, serialises writers so the chain never
forks. `depesche audit verify` recomputes the chain.
"""

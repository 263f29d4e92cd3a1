"""depesche-backup: encrypted backups of a Depesche instance to two borg repositories
(SPEC O4), driven through borgmatic. See backup/README.md."""

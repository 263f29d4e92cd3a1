"""The retention proof: 120 simulated days keep exactly the last 28 daily archives and the
three month-ends before them, per site (borg counts an archive kept by keep_daily once)."""

from __future__ import annotations

import pytest

from tests.backup.helpers import needs_borg, run_tool
from tests.conftest import PG_ADMIN_URL

# The simulation does not touch the application's database, so one run proves it; the
# services run of `make test` skips it to stay within the time budget.
pytestmark = [
    needs_borg,
    pytest.mark.skipif(bool(PG_ADMIN_URL), reason="database-independent; proven in the SQLite run"),
]


def test_simulate_retention_120_days(instance):
    result = run_tool(
        instance, "simulate-retention", "--days", "120", "--today", "2024-05-15", timeout=1200
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # daily window: 2024-04-18 … 2024-05-15 (28 days, April's month-end inside it);
    # then the month-ends of March, February (leap year) and January.
    for site in ("A", "B"):
        assert f"site {site}: ok: kept=31 oldest=2024-01-31 newest=2024-05-15" in result.stdout

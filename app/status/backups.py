"""What the backups last did (SPEC O4), as `backup/depesche-backup` records it in
`DATA_DIR/backup-status.json`: per action (create, drill, check) and site the last run, its
result and the last success. Read here for the status page, /healthz and the backup tool's
own `status`; no successful backup at a site within 26 hours is an alarm."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

STATUS_FILE = "backup-status.json"
ALARM_HOURS = 26


@dataclass
class SiteState:
    site: str
    last_success: datetime | None = None
    last_run: datetime | None = None
    last_result: str = ""
    detail: str = ""
    other: dict = field(default_factory=dict)  # "drill"/"check" -> {last_run, last_result, detail}

    def alarm(self, now: datetime) -> bool:
        return self.last_success is None or now - self.last_success > timedelta(hours=ALARM_HOURS)


def _moment(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_status(data_dir) -> dict:
    try:
        status = json.loads((Path(data_dir) / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return status if isinstance(status, dict) else {}


def site_states(data_dir, sites=()) -> list[SiteState]:
    """The state of each site: those named (the configured ones) and those the status file
    knows, in order; a configured site that never ran has no last success."""
    status = read_status(data_dir)
    known = [*sites, *status.get("sites", []), *status.get("create", {})]
    states = []
    for site in dict.fromkeys(known) or ["A"]:
        entry = status.get("create", {}).get(site, {})
        state = SiteState(
            site=site,
            last_success=_moment(entry.get("last_success")),
            last_run=_moment(entry.get("last_run")),
            last_result=entry.get("last_result", ""),
            detail=entry.get("detail", ""),
        )
        for action in ("drill", "check"):
            other = status.get(action, {}).get(site)
            if other:
                state.other[action] = {**other, "last_run": _moment(other.get("last_run"))}
        states.append(state)
    return states


def summary(data_dir, now: datetime | None = None) -> dict:
    """For /healthz: whether every site had a successful backup within 26 hours."""
    now = now or datetime.now(UTC)
    states = site_states(data_dir)
    return {
        "ok": not any(s.alarm(now) for s in states),
        "sites": {
            s.site: s.last_success.isoformat(timespec="seconds") if s.last_success else None
            for s in states
        },
    }

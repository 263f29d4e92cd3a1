"""Helpers of the backup tests: the tool as an operator runs it, and its settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "backup" / "depesche-backup"
MISSING = [tool for tool in ("borg", "borgmatic") if shutil.which(tool) is None]

needs_borg = pytest.mark.skipif(
    bool(MISSING),
    reason=f"{' and '.join(MISSING)} not installed (Debian: apt-get install borgbackup borgmatic)",
)


def run_tool(env, *args, timeout=300):
    return subprocess.run(
        [sys.executable, str(TOOL), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tool_settings(env):
    """The tool's settings as the command line would read them from ENV."""
    from backup.depesche_backup import settings

    return settings.load(environ=env)

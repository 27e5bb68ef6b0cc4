"""CPU seconds used by groups of processes (app, database, load generator) during a run."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # utime + stime, plus cutime + cstime: the time of children already reaped (PostgreSQL
    # backends that closed during the run), which would otherwise vanish from the sum.
    return sum(int(value) for value in fields[11:15]) / TICKS


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _by_user(user: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip().startswith(user):
                    pids.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return pids


def snapshot(app_pid: int | None) -> dict[str, float]:
    app = [app_pid, *_children(app_pid)] if app_pid else []
    return {
        "app": sum(_cpu_of(p) for p in app),
        "database": sum(_cpu_of(p) for p in _by_user("postgres")),
        "loadgen": _cpu_of(os.getpid()),
    }


def split(before: dict[str, float], after: dict[str, float]) -> str:
    used = {k: after[k] - before[k] for k in before}
    total = sum(used.values()) or 1.0
    return ", ".join(f"{k} {v:.1f} s ({v / total:.0%})" for k, v in used.items())

"""Backups that can be taken while the shop is running.

SQLite: the online backup API copies a consistent snapshot page by page while writers go on.
PostgreSQL: pg_dump (custom format) reads one consistent snapshot; pg_restore replaces the
schema objects of the target database with the dump's.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise ValueError("SQLite URL without a file")
    return Path(database)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(url: str, target: Path) -> None:
    if url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(url))
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination, pages=1024)
        finally:
            destination.close()
            source.close()
        return
    subprocess.run(["pg_dump", "--format=custom", f"--file={target}", _libpq_url(url)], check=True)


def restore(url: str, source: Path) -> None:
    if url.startswith("sqlite"):
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        backup_db = sqlite3.connect(source)
        live = sqlite3.connect(target)
        try:
            with live:
                backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
        return
    subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq_url(url)}", str(source)],
        check=True,
    )


def integrity_ok(url: str) -> bool:
    """SQLite's own check of the file (PostgreSQL checks itself)."""
    if not url.startswith("sqlite"):
        return True
    connection = sqlite3.connect(_sqlite_path(url))
    try:
        return bool(connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    finally:
        connection.close()

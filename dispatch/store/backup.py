"""Backups a cooperative can restore: the event log is the record of the day, so it must outlive
a broken disk or a mistaken command.

* **SQLite** uses SQLite's online backup API (``sqlite3.Connection.backup``): it copies pages
  while the server keeps writing, and the copy is one consistent moment (a plain file copy of a
  WAL database in use is not). Restoring writes the backup back the same way.
* **PostgreSQL** uses ``pg_dump`` in its custom format (consistent under load: one snapshot) and
  ``pg_restore``; only Tandem's schema (the URL's ``search_path``, else ``public``) is dumped.

Restoring refuses to overwrite a database that already holds a cooperative unless told to:
nothing already accepted is lost by a restore typed into the wrong terminal.

A backup is a past moment, and may hold a courier erased since (the right to erasure). Restoring
therefore re-applies every erasure it knows of, read *before* the database is replaced: the
erasure journal kept beside the data and the replaced database's own log
(``dispatch/store/erasure.py``). What comes back from a backup never brings an erased person back.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, unquote

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from dispatch.errors import InvalidInput
from dispatch.store.engine import default_url, make_engine
from dispatch.store.erasure import Erased, reapply, recorded_erasures


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise InvalidInput("database", "in_memory_backup")
    return Path(parsed.database)


def _libpq(url: str) -> tuple[str, str]:
    """The SQLAlchemy URL as a libpq one for pg_dump (its driver suffix and options dropped), and
    the schema Tandem lives in."""
    parsed = make_url(url)
    options = unquote(" ".join(parse_qs(str(parsed).partition("?")[2]).get("options", [])))
    schema = "public"
    for option in options.split():
        if option.startswith("-csearch_path="):
            schema = option.split("=", 1)[1].split(",")[0].strip('"')
    plain = parsed.set(drivername="postgresql").set(query={})
    return plain.render_as_string(hide_password=False), schema


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InvalidInput("database", "pg_tool_needed", tool=name)
    return found


def _holds_a_cooperative(url: str) -> bool:
    engine = make_engine(url)
    try:
        if "cooperatives" not in inspect(engine).get_table_names():
            return False
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM cooperatives")).scalar())
    finally:
        engine.dispose()


def backup(url: str | None, destination: Path) -> Path:
    """Write a consistent copy of the database at ``url`` (default: Tandem's own) to ``destination``."""
    url = url or default_url()
    destination.parent.mkdir(parents=True, exist_ok=True)
    source = _sqlite_path(url)
    if source is not None:
        if not source.is_file():
            raise InvalidInput("database", "no_sqlite_database", path=str(source))
        with sqlite3.connect(source) as src, sqlite3.connect(destination) as dst:
            src.backup(dst)
        return destination
    libpq, schema = _libpq(url)
    run = subprocess.run(
        [_tool("pg_dump"), "--format=custom", f"--schema={schema}", f"--file={destination}", libpq],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise InvalidInput("database", "tool_failed", tool="pg_dump", detail=run.stderr.strip()[:500])
    return destination


def restore(source: Path, url: str | None, *, replace: bool = False) -> list[Erased]:
    """Restore a backup made by :func:`backup` into the database at ``url`` (default: Tandem's
    own), then erase again whoever was erased since the backup; what was erased again."""
    url = url or default_url()
    if not source.is_file():
        raise InvalidInput("backup", "no_backup_file", path=str(source))
    if not replace and _holds_a_cooperative(url):
        raise InvalidInput("database", "restore_not_empty")
    erasures = recorded_erasures(url)  # before the database that holds them is replaced
    _write_back(source, url)
    return reapply(url, erasures)


def _write_back(source: Path, url: str) -> None:
    target = _sqlite_path(url)
    if target is not None:
        try:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
                src.execute("SELECT count(*) FROM cooperatives")  # a Tandem backup, not any file
                src.backup(dst)
        except sqlite3.DatabaseError as exc:
            raise InvalidInput("backup", "not_a_backup", detail=str(exc)) from None
        return
    libpq, _ = _libpq(url)  # the objects go back to the schema they were dumped from
    run = subprocess.run(
        [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", f"--dbname={libpq}", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise InvalidInput("backup", "tool_failed", tool="pg_restore", detail=run.stderr.strip()[:500])

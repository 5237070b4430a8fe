"""A backup taken while the day goes on restores to a database whose log replays the same day."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from dispatch import commands
from dispatch.days import read_day
from dispatch.errors import InvalidInput
from dispatch.model import JobRequest
from dispatch.projections import fold
from dispatch.replay import day_from_log, replay
from dispatch.simulation import Policy, run_day
from dispatch.store import Store
from dispatch.store.backup import backup, restore
from routing.network import BikeNetwork, open_city
from tests.dispatch.conftest import fresh_url
from tests.dispatch.test_replay import DAY_JSON

POLICY = Policy(budget_s=0.2)


@pytest.fixture(scope="module")
def network() -> BikeNetwork:
    return open_city(None)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_url(request.param, tmp_path, "tandem_backup")


def _lose_everything(url: str, tmp_path: Path) -> None:
    """The disaster: the SQLite file is gone, or Tandem's PostgreSQL schema is dropped."""
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(str(tmp_path / "tandem.db") + suffix).unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def test_restore_a_backup_taken_under_load_and_replay_its_day(url: str, network: BikeNetwork, tmp_path: Path) -> None:
    day = dataclasses.replace(read_day(DAY_JSON), requests=read_day(DAY_JSON).requests[:4])
    store = Store.open(url)
    coop, _ = run_day(store, network, day, POLICY, seed=1)
    before = replay(day_from_log(store, coop), POLICY, network, seed=1).summary
    client = store.add_client(coop, "late shop")[0].id
    request = JobRequest.from_json(store.job(coop, store.jobs(coop)[0].id).request)
    written: list[str] = []

    stop = threading.Event()

    def keep_writing() -> None:  # the server goes on while the backup runs
        while not stop.is_set():
            written.append(commands.request_job(store, coop, client, request, at=datetime.now(UTC)).id)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        saved = backup(url, tmp_path / "backup.bin")
    finally:
        stop.set()
        writer.join()
    store.close()
    assert written  # the backup really ran beside a writer

    _lose_everything(url, tmp_path)
    restore(saved, url)
    restored = Store.open(url)
    try:
        events = restored.events(coop)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))  # one consistent moment
        c = restored.cooperative(coop)
        folded = fold(events, timezone=ZoneInfo(c.timezone), heavy_threshold_kg=c.heavy_threshold_kg)
        assert folded.jobs == restored.projection(coop).jobs  # the state is the log's state
        again = day_from_log(restored, coop)
        assert len(again.requests) >= len(day.requests)
        after = replay(
            dataclasses.replace(again, requests=again.requests[: len(day.requests)]), POLICY, network, seed=1
        )
        assert after.summary == before
        with pytest.raises(InvalidInput, match="already holds"):
            restore(saved, url)  # a second restore over live data is refused...
        restore(saved, url, replace=True)  # ...unless asked for
    finally:
        restored.close()


def test_a_file_that_is_no_backup_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InvalidInput, match="backup"):
        restore(junk, f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(InvalidInput, match="no backup"):
        restore(tmp_path / "missing.db", f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(InvalidInput, match="no SQLite database"):
        backup(f"sqlite:///{tmp_path / 'absent.db'}", tmp_path / "b.db")


def test_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    live, spare = f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'spare.db'}"
    store = Store.open(live)
    coop = store.create_cooperative("Pyörä").id
    store.close()
    made = runner.invoke(app, ["backup", str(tmp_path / "b.db"), "--database", live])
    assert made.exit_code == 0 and "backup written" in made.output, made.output
    assert runner.invoke(app, ["restore", str(tmp_path / "b.db"), "--database", spare]).exit_code == 0
    again = runner.invoke(app, ["restore", str(tmp_path / "b.db"), "--database", spare])
    assert again.exit_code == 2 and "already holds" in again.output
    store = Store.open(spare)
    assert store.cooperative(coop).name == "Pyörä"
    store.close()

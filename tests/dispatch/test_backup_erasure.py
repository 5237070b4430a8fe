"""Backups still held erased data (issue 16): a backup taken before ``erase-courier`` brought the
person back when restored. Restoring now erases them again, from the erasure journal kept beside
the data or from the replaced database's own log, whichever survived, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from dispatch import commands
from dispatch.events import Actor, ActorKind
from dispatch.store import Store
from dispatch.store.access import LoginFailed, deactivate_courier, log_in
from dispatch.store.backup import backup, restore
from dispatch.store.erasure import erase_courier, erased_label, journal_path, read_journal
from tests.api.harness import make_world
from tests.dispatch.conftest import fresh_url
from tests.dispatch.test_backup import _lose_everything

DESK = Actor(ActorKind.DISPATCHER, "desk")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "postgresql":  # no file beside the data: the journal goes where it is told
        monkeypatch.setenv("TANDEM_ERASURE_JOURNAL", str(tmp_path / "journal" / "erasures.jsonl"))
    yield from fresh_url(request.param, tmp_path, "tandem_backup_erasure")


@pytest.mark.parametrize("what_survives", ["both", "the database's log", "the journal"])
def test_a_backup_taken_before_an_erasure_restores_without_the_person(
    url: str, tmp_path: Path, what_survives: str
) -> None:
    world = make_world(url)
    aino, aino_login, aino_password = world.couriers["Aino"]
    store = Store.open(url)
    commands.start_shift(store, world.coop_id, aino, at=datetime.now(UTC))  # at work when the backup runs
    saved = backup(url, tmp_path / "before.backup")
    deactivate_courier(store, world.coop_id, aino, by=DESK, reason="Aino moved away")
    erase_courier(store, world.coop_id, aino, by=DESK, reason="Aino asked on 1 December")
    store.close()
    journal = journal_path(url)
    assert [e["courier_id"] for e in read_journal(url)] == [aino]
    assert "Aino" not in journal.read_text(), "the journal names nobody"
    if url.startswith("sqlite"):
        assert journal == Path(url.removeprefix("sqlite:///") + ".erasures"), "beside the data"
    if what_survives == "the database's log":
        journal.unlink()
    elif what_survives == "the journal":
        _lose_everything(url, tmp_path)  # the disk that held the database; the journal was elsewhere

    erased_again = restore(saved, url, replace=True)

    assert [e.event.payload["courier_id"] for e in erased_again] == [aino]
    store = Store.open(url)
    try:
        courier = store.courier(world.coop_id, aino)
        assert courier.display_name == erased_label(aino) and not courier.active
        assert store.courier(world.coop_id, world.couriers["Veera"][0]).display_name == "Veera"  # only her
        log = store.events(world.coop_id)
        assert "Aino" not in json.dumps([e.payload for e in log], default=str), "her name came back with the backup"
        assert log[-1].type.value == "CourierErased" and log[-1].actor == Actor(ActorKind.SYSTEM, "restore")
        with pytest.raises(LoginFailed):
            log_in(store, world.coop_id, aino_login, aino_password)
    finally:
        store.close()
    assert [e["courier_id"] for e in read_journal(url)] == [aino], "kept for the next restore, once"

    assert restore(saved, url, replace=True) != [], "every restore of the old backup erases her again"
    said = CliRunner().invoke(cli, ["restore", str(saved), "--database", url, "--replace"])
    assert said.exit_code == 0 and "1 courier(s) erased since this backup erased again" in " ".join(
        said.stdout.split()
    ), said.output

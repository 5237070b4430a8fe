"""The week's writes keep every act (issue 23): a swap confirmed while a draft is open is in the
draft too, so publishing the draft keeps it; two workers writing the same week at once cannot
overwrite each other (the append refuses the later one in its transaction, expected_seq or
not); a dispatcher's choice of no one to cover is logged; the CLI records absences and covers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from dispatch import week as week_module
from dispatch.errors import InvalidInput
from dispatch.events import Actor, ActorKind, EventType
from dispatch.store import Store
from dispatch.store.weekly import events_of
from dispatch.week import (
    RotaChanged,
    decide_swap,
    edit,
    no_cover,
    publish,
    record_absence,
    request_swap,
    week_state,
)
from tests.dispatch.test_week import DESK, MONDAY, NOW
from tests.dispatch.test_week_absent_shifts import _day, _lou_mon_tue_wed

ROOT = Path(__file__).resolve().parents[2]


def _swap_monday_to_sam(store: Store, coop_id: str, ids: dict[str, str], lou: dict[str, Any]) -> str:
    lou_actor = Actor(ActorKind.COURIER, ids["Lou"])
    asked = request_swap(
        store, coop_id, ids["Lou"], MONDAY, lou[_day(0)]["id"], ids["Sam"], note="", at=NOW, actor=lou_actor
    )
    return str(asked.payload["swap_id"])


def test_a_swap_confirmed_while_a_draft_is_open_survives_publishing_the_draft(store: Store) -> None:
    coop_id, ids, lou = _lou_mon_tue_wed(store)
    thursday = {"action": "add", "courier_id": ids["Sam"], "day": _day(3), "start_h": 10, "end_h": 16}
    edit(store, coop_id, MONDAY, thursday, actor=DESK, at=NOW)  # a draft opens over the published rota
    swap_id = _swap_monday_to_sam(store, coop_id, ids, lou)
    decide_swap(store, coop_id, swap_id, confirm=True, reason="", actor=DESK, at=NOW)
    rota = week_state(store, coop_id).rota(MONDAY)
    in_draft = {s["id"]: s for s in rota.draft or []}
    assert in_draft[lou[_day(0)]["id"]]["courier_id"] == ids["Sam"]
    publish(store, coop_id, MONDAY, actor=DESK, at=NOW)
    published = {s["id"]: s for s in week_state(store, coop_id).rota(MONDAY).published or []}
    assert published[lou[_day(0)]["id"]]["courier_id"] == ids["Sam"]  # the swap is kept
    assert published[lou[_day(0)]["id"]]["why"][0]["code"].startswith("rota_swapped")
    assert any(s["courier_id"] == ids["Sam"] and s["day"] == _day(3) for s in published.values())  # the edit too


def test_a_swap_the_open_draft_rules_out_is_refused_naming_the_draft(store: Store) -> None:
    coop_id, ids, lou = _lou_mon_tue_wed(store)
    monday = {"action": "add", "courier_id": ids["Sam"], "day": _day(0), "start_h": 10, "end_h": 14}
    edit(store, coop_id, MONDAY, monday, actor=DESK, at=NOW)  # the draft has Sam on Monday already
    swap_id = _swap_monday_to_sam(store, coop_id, ids, lou)
    with pytest.raises(InvalidInput, match=r"in the draft open for the week of 2026-12-07: .*one shift a day"):
        decide_swap(store, coop_id, swap_id, confirm=True, reason="", actor=DESK, at=NOW)
    assert week_state(store, coop_id).swaps[swap_id]["state"] == "pending"


def _store_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def test_two_workers_editing_the_same_week_at_once_never_overwrite_each_other(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker A reads the week and works out its edit; meanwhile worker B (another process, with
    its own in-process lock) removes Wednesday's shift; A's append, sent without expected_seq,
    is refused with a 409 naming B's act, instead of writing back a list that holds Wednesday."""
    coop_id, _, lou = _lou_mon_tue_wed(store)
    wednesday = lou[_day(2)]["id"]
    other_worker = textwrap.dedent(f"""
        from datetime import UTC, datetime
        from dispatch.events import Actor, ActorKind
        from dispatch.store import Store
        from dispatch.week import edit, parse_week
        store = Store.open({_store_url(store)!r})
        edit(store, {coop_id!r}, parse_week("{MONDAY}"), {{"action": "remove", "shift_id": {wednesday!r}}},
             actor=Actor(ActorKind.DISPATCHER, "worker-b"), at=datetime.now(UTC))
        store.close()
    """)
    real = week_module._edited

    def meanwhile(*args: Any) -> Any:
        edited = real(*args)
        done = subprocess.run(
            [sys.executable, "-c", other_worker], check=False, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return edited

    monkeypatch.setattr(week_module, "_edited", meanwhile)
    move = {"action": "move", "shift_id": lou[_day(1)]["id"], "start_h": 11, "end_h": 16}
    with pytest.raises(RotaChanged) as refused:
        edit(store, coop_id, MONDAY, move, actor=DESK, at=NOW)
    assert (refused.value.last_act, refused.value.by) == ("RotaEdited", "dispatcher worker-b")
    monkeypatch.setattr(week_module, "_edited", real)
    draft = {s["id"]: s for s in week_state(store, coop_id).rota(MONDAY).draft or []}
    assert wednesday not in draft  # worker B's removal stands
    assert draft[lou[_day(1)]["id"]]["start_h"] == 10  # A's edit was refused, not half written
    edit(store, coop_id, MONDAY, move, actor=DESK, at=NOW)  # read again, it goes through
    assert {s["id"]: s for s in week_state(store, coop_id).rota(MONDAY).draft or []}[lou[_day(1)]["id"]][
        "start_h"
    ] == 11


def test_choosing_no_one_to_cover_is_logged_with_whom_the_rota_offered(store: Store) -> None:
    coop_id, ids, lou = _lou_mon_tue_wed(store)
    monday = lou[_day(0)]["id"]
    with pytest.raises(InvalidInput, match="no absence was recorded"):
        no_cover(store, coop_id, MONDAY, monday, note="", actor=DESK, at=NOW, now=NOW)
    record_absence(store, coop_id, MONDAY, monday, "sick", note="", actor=DESK, at=NOW)
    seq = week_state(store, coop_id).rota(MONDAY).seq
    no_cover(store, coop_id, MONDAY, monday, note="Sam and Ana rode all weekend", actor=DESK, at=NOW, now=NOW)
    logged = events_of(store, coop_id, [EventType.NO_COVER_PICKED])
    assert len(logged) == 1 and logged[0].actor == DESK
    p = logged[0].payload
    assert (p["shift_id"], p["courier_id"]) == (monday, ids["Lou"])
    assert set(p["offered"]) == {ids["Sam"], ids["Ana"]} and p["note"] == "Sam and Ana rode all weekend"
    rota = week_state(store, coop_id).rota(MONDAY)
    assert rota.no_cover[monday]["offered"] == p["offered"]
    assert rota.seq == seq  # the rota did not change: a cover may still be picked


def test_the_cli_records_an_absence_and_a_choice_of_no_one(store: Store) -> None:
    coop_id, ids, lou = _lou_mon_tue_wed(store)
    runner = CliRunner()

    def tandem(*args: str) -> Any:
        return runner.invoke(app, ["week", *args, "--coop", coop_id, "--database", _store_url(store)])

    tuesday = lou[_day(1)]["id"]
    common = ("--week", MONDAY.isoformat(), "--shift", tuesday)
    refused = tandem("absence", *common, "--reason", "bored")
    assert refused.exit_code == 2 and "--reason: one of sick, other" in refused.output
    done = tandem("absence", *common, "--reason", "sick", "--json")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output)
    assert shown["shift"]["absent"] == "sick" and {c["courier_id"] for c in shown["covers"]} == {ids["Sam"], ids["Ana"]}
    again = tandem("absence", *common, "--reason", "sick")
    assert again.exit_code == 2 and "recorded already" in again.output
    assert tandem("cover", *common).exit_code == 2  # --courier or --no-one
    none = tandem("cover", *common, "--no-one", "--note", "asked on the phone")
    assert none.exit_code == 0 and "no one picked" in none.output, none.output
    assert week_state(store, coop_id).rota(MONDAY).no_cover[tuesday]["note"] == "asked on the phone"
    picked = tandem("cover", *common, "--courier", ids["Sam"], "--json")
    assert picked.exit_code == 0, picked.output
    assert json.loads(picked.output)["shift"]["covered_by"] == ids["Sam"]


def test_a_shift_with_a_swap_waiting_cannot_be_asked_again_until_it_is_decided(store: Store) -> None:
    """Two pending swaps of one shift would let a dispatcher confirm both: the second would hand
    over a shift its asker no longer holds."""
    coop_id, ids, lou = _lou_mon_tue_wed(store)
    swap_id = _swap_monday_to_sam(store, coop_id, ids, lou)
    with pytest.raises(InvalidInput) as refused:
        _swap_monday_to_sam(store, coop_id, ids, lou)
    assert refused.value.why == "swap_pending" and refused.value.field == "shift_id"
    decide_swap(store, coop_id, swap_id, confirm=False, reason="Sam rides that day", actor=DESK, at=NOW)
    again = _swap_monday_to_sam(store, coop_id, ids, lou)  # refused: the courier may ask again
    assert again != swap_id
    assert [s["state"] for s in week_state(store, coop_id).swaps.values()] == ["refused", "pending"]

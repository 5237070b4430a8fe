"""A swap asked of a colleague is theirs to see while it waits (issue 23 item 3), over real HTTP
and the courier's socket, on SQLite and PostgreSQL: the colleague's ``/v1/week/mine`` lists who
asks, which shift and that dispatch has still to decide, then how it was decided, never the
asker's note nor the dispatcher's reason; their socket hears the request and the decision (so
the phone follows), without those words; a third courier reads and hears nothing of it."""

from __future__ import annotations

from typing import Any

from api.couriers import concerns
from api.sockets import event_for_courier
from dispatch.store import Store
from tests.api.test_week import Week, _app, _prepare, url, week  # noqa: F401 (the fixtures)


def _mine(client: Any, headers: dict[str, str], monday: str) -> dict[str, Any]:
    r = client.get("/v1/week/mine", params={"week": monday}, headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_the_colleague_sees_a_swap_asked_of_them_and_a_third_courier_does_not(week: Week) -> None:  # noqa: F811
    monday = week.next_monday
    with _app(week.url) as client:
        desk = week.desk(client)
        _prepare(client, week, desk)
        shifts = client.post("/v1/week/proposal", json={"week": monday}, headers=desk).json()["shifts"]
        assert client.post("/v1/week/publish", json={"week": monday}, headers=desk).status_code == 200
        by = {s["courier_id"]: s for s in shifts}
        names = ("Aino", "Veera", "Lou")
        giver = next(n for n in names if week.id(n) in by)
        taker = next(n for n in names if week.id(n) not in by)
        third = next(n for n in names if n not in (giver, taker))
        shift = by[week.id(giver)]
        ask = {"week": monday, "shift_id": shift["id"], "with_courier_id": week.id(taker), "note": "a dentist"}
        asked = client.post("/v1/week/swaps", json=ask, headers=week.courier(client, giver))
        assert asked.status_code == 201, asked.text
        swap_id = asked.json()["id"]
        taker_h, third_h = week.courier(client, taker), week.courier(client, third)

        theirs = _mine(client, taker_h, monday)
        assert theirs["shifts"] == [] and theirs["swaps"] == []  # nothing of theirs has moved yet
        assert theirs["asked_of_me"] == [
            {
                "id": swap_id,
                "week": monday,
                "courier_id": week.id(giver),
                "shift_id": shift["id"],
                "state": "pending",
                "asked_at": asked.json()["asked_at"],
                "shift": {k: shift[k] for k in ("day", "start_h", "end_h")},
            }
        ]
        seen_by_third = client.get("/v1/week/mine", params={"week": monday}, headers=third_h)
        assert seen_by_third.json()["asked_of_me"] == [] and swap_id not in seen_by_third.text

        refusal = {"swap_id": swap_id, "confirm": False, "reason": "Lou is on already"}
        decided = client.post("/v1/week/swaps/decision", json=refusal, headers=desk)
        assert decided.status_code == 200, decided.text
        after = client.get("/v1/week/mine", params={"week": monday}, headers=taker_h)
        assert [(s["id"], s["state"]) for s in after.json()["asked_of_me"]] == [(swap_id, "refused")]
        assert "dentist" not in after.text and "on already" not in after.text, after.text

    store = Store.open(week.url)
    try:
        swaps = [e for e in store.events(week.world.coop_id) if e.type.value.startswith("ShiftSwap")]
    finally:
        store.close()
    # the courier's socket sends an event when it concerns them, as event_for_courier reads it
    # (the browser test sees the phones follow it live): the colleague hears the request and the
    # decision, without the words or the asker's id; the asker hears the decision; a third, neither
    heard = {e.type.value: event_for_courier(e, week.id(taker))["payload"] for e in swaps}  # type: ignore[index]
    assert all(concerns(e, week.id(taker)) for e in swaps) and len(swaps) == 2
    assert heard == {
        "ShiftSwapRequested": {
            "swap_id": swap_id,
            "week": monday,
            "shift_id": shift["id"],
            "with_courier_id": week.id(taker),
        },
        "ShiftSwapDecided": {"swap_id": swap_id, "week": monday, "confirmed": False, "with_courier_id": week.id(taker)},
    }
    assert not any(concerns(e, week.id(third)) for e in swaps)
    assert concerns(swaps[1], week.id(giver))
    assert event_for_courier(swaps[1], week.id(giver))["payload"] == {  # type: ignore[index]
        "swap_id": swap_id,
        "week": monday,
        "confirmed": False,
        "courier_id": week.id(giver),
    }

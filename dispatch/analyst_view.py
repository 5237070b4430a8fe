"""What an analyst reads of the log and of the jobs (issues 16 and 23), in one place.

The console's ``GET /v1/jobs``, ``/v1/jobs/{id}`` and ``/v1/events`` pass their answers through
:func:`as_read_by`; a dispatcher reads them whole (they decide about people), an analyst reads
what counting, replaying and auditing the cooperative's decisions needs, and nothing said about
a person that only a dispatcher is meant to read:

- a decline says a job was declined and when, never by whom nor in whose words (issue 16:
  nothing about a person is counted from a decline), and a planner's reason that names the
  couriers who declined keeps its code, not its people;
- an overtime decision (``OvertimeDecided``) keeps whose day it was about (``courier_id`` and
  ``day``), never its ``minutes`` nor the dispatcher's ``note``. Analysts are refused the time
  sheets and ``/v1/week/overtime`` (403): what payroll pays a courier, and why, is for the
  dispatchers and the courier. The fact that a decision was made on a courier's day stays,
  because analysts read each courier's shift minutes per day in the fairness ledger (the same
  for every member) and the shift events name their couriers: who worked on which day is
  theirs to read, how much of it is paid as overtime is not (a withdrawal, ``minutes`` 0, then
  reads like any other decision);
- an absence (``AbsenceRecorded``) keeps whose shift is away, never why (``reason``: ``sick``
  is health data) nor the dispatcher's ``note``; in every rota an event carries, an absent
  shift reads ``absent: true`` without its category or note, and a cover's or a swap's ``why``
  says whom it covers for or that it was swapped, not why nor in whose words (as a courier
  reads a colleague's, ``unsaid_absence``);
- the week's other free text about a person goes: a swap's note when asked, the dispatcher's
  reason when deciding it, the note of a shift left uncovered (``NoCoverPicked``).

What stays whole: a dispatcher's reason for a job decision (override, reassign, unassign) and
the admin acts' reasons, the audit trail of human decisions analysts are there to read
(docs/SECURITY.md); none of those carry a health category (``absent_today`` is a code).
"""

from __future__ import annotations

from typing import Any

from dispatch.events import EventType

E = EventType

#: The words of a reason that name the couriers who declined (routing/reasons.py), and what an
#: analyst reads in their place (an ellipsis, the same in every language): the planner's reason
#: is kept, its people are not.
_DECLINERS = {"declined_again": "courier", "declined_by": "couriers"}
_SOMEONE = {"courier": "…", "couriers": ["…"]}

#: What an analyst reads of the payload of the week's events that carry words about a person or
#: a figure for payroll, by type (an allow-list: a key such an event gains later stays out until
#: put here on purpose). The week's other events are read whole, their rotas unsaid as above.
_WEEK_KEYS: dict[str, frozenset[str]] = {
    E.OVERTIME_DECIDED.value: frozenset({"courier_id", "day"}),
    E.ABSENCE_RECORDED.value: frozenset({"week", "shift_id", "courier_id", "shifts", "draft"}),
    E.NO_COVER_PICKED.value: frozenset({"week", "shift_id", "courier_id", "offered"}),
    E.SHIFT_SWAP_REQUESTED.value: frozenset({"swap_id", "week", "courier_id", "shift_id", "with_courier_id"}),
    E.SHIFT_SWAP_DECIDED.value: frozenset({"swap_id", "week", "confirmed", "shifts", "draft"}),
}


def as_read_by(role: str, data: Any) -> Any:
    """``data`` (a job, a page of jobs or of events) as a member of ``role`` may read it: whole
    for a dispatcher, as the module's docstring says for an analyst."""
    if role != "analyst":
        return data
    return _for_analyst(data)


def unsaid_absence(why: Any) -> Any:
    """A shift's reason as someone other than a dispatcher reads it: whom a cover is for, not
    why they are away (an absence's category is health data); that a swap was confirmed, not the
    dispatcher's words about it (a note between dispatchers)."""
    if isinstance(why, dict) and why.get("code") == "rota_covers_for":
        return {"code": "rota_covers_colleague", "params": {"courier": why.get("params", {}).get("courier")}}
    if isinstance(why, dict) and why.get("code") == "rota_swapped_because":
        return {"code": "rota_swapped", "params": {}}
    return why


def _for_analyst(value: Any) -> Any:
    if isinstance(value, list):
        return [_for_analyst(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind, payload = value.get("type"), value.get("payload")
    if kind == E.COURIER_DECLINED.value and isinstance(payload, dict):
        return {**value, "actor": {**value.get("actor", {}), "id": None}, "payload": {"job_id": payload.get("job_id")}}
    if isinstance(kind, str) and kind in _WEEK_KEYS and isinstance(payload, dict):
        kept = {k: v for k, v in payload.items() if k in _WEEK_KEYS[kind]}
        return {**value, "payload": _for_analyst(kept)}
    if value.get("code") in _DECLINERS and isinstance(value.get("params"), dict):
        key = _DECLINERS[value["code"]]
        return {**value, "params": {**value["params"], key: _SOMEONE[key]}}
    if value.get("code") in ("rota_covers_for", "rota_swapped_because"):
        return unsaid_absence(value)
    out = {k: _for_analyst(v) for k, v in value.items() if k != "absent_note"}
    if out.get("absent") and "start_h" in out:  # a rota's shift: away, not why
        out["absent"] = True
    if isinstance(value.get("declines"), list):
        out["declines"] = [{"at": d.get("at")} for d in value["declines"] if isinstance(d, dict)]
    return out

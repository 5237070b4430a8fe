"""A dispatcher's decision names the act the job's state needs, and a stale one says who acted.

The rules were the console route's own (api/console.py ``_decide``) until issue 19 moved them to
dispatch/decide.py, where any door a decision comes in by gets them.
"""

from __future__ import annotations

import pytest

from dispatch import commands as do
from dispatch.decide import Decision, decide, decision_cost
from dispatch.errors import Conflict, IllegalTransition, InvalidInput, PhysicalLimit
from dispatch.lifecycle import JobState
from routing.network import BikeNetwork
from tests.dispatch.conftest import SQLITE_ONLY, Coop, a_request, at
from tests.words import all_said, said


def _proposed(coop: Coop) -> str:
    job = do.request_job(coop.store, coop.id, coop.client, a_request(), at=at(0))
    do.start_shift(coop.store, coop.id, coop.bike, at=at(0))  # proposals go to couriers on shift
    do.propose(coop.store, coop.id, job.id, coop.bike, at=at(1))
    return job.id


@SQLITE_ONLY
def test_an_assigned_job_is_moved_by_reassign_not_override(coop: Coop, helsinki: BikeNetwork) -> None:
    job_id = _proposed(coop)
    decide(coop.store, coop.id, helsinki, job_id, Decision("accept"), dispatcher_id="d1", now=at(2))
    with pytest.raises(InvalidInput, match="use reassign to move it"):
        decide(coop.store, coop.id, helsinki, job_id, Decision("override", coop.cargo), dispatcher_id="d1", now=at(3))


@SQLITE_ONLY
def test_an_open_job_is_given_by_override_not_reassign(coop: Coop, helsinki: BikeNetwork) -> None:
    job_id = _proposed(coop)
    with pytest.raises(InvalidInput, match="use override to give an open job"):
        decide(coop.store, coop.id, helsinki, job_id, Decision("reassign", coop.cargo), dispatcher_id="d1", now=at(2))


@SQLITE_ONLY
def test_giving_a_job_needs_the_courier_to_give_it_to(coop: Coop, helsinki: BikeNetwork) -> None:
    job_id = _proposed(coop)
    with pytest.raises(InvalidInput) as refused:
        decide(coop.store, coop.id, helsinki, job_id, Decision("override"), dispatcher_id="d1", now=at(2))
    assert refused.value.field == "courier_id"


@SQLITE_ONLY
def test_a_stale_decision_hears_who_acted_rather_than_the_state_the_job_is_in(
    coop: Coop, helsinki: BikeNetwork
) -> None:
    job_id = _proposed(coop)
    seen = coop.store.job(coop.id, job_id).last_seq
    do.propose(coop.store, coop.id, job_id, coop.cargo, at=at(2))  # a new round, after the dispatcher looked
    late = Decision("reassign", coop.bike, expected_seq=seen)  # a reassign of an open job, and stale
    with pytest.raises(Conflict):
        decide(coop.store, coop.id, helsinki, job_id, late, dispatcher_id="d2", now=at(3))
    assert coop.store.job(coop.id, job_id).state is JobState.PROPOSED


@SQLITE_ONLY
def test_an_override_of_an_open_job_binds_it_and_states_its_cost(coop: Coop, helsinki: BikeNetwork) -> None:
    job_id = _proposed(coop)
    do.start_shift(coop.store, coop.id, coop.cargo, at=at(1))  # on shift: an off-shift one needs force
    event, cost = decide(
        coop.store, coop.id, helsinki, job_id, Decision("override", coop.cargo), dispatcher_id="d1", now=at(2)
    )
    assert cost is not None and cost.courier_id == coop.cargo
    assert event.payload["courier_id"] == coop.cargo
    assert coop.store.job(coop.id, job_id).courier_id == coop.cargo


@SQLITE_ONLY
def test_an_accept_of_a_job_another_desk_took_names_who_unless_it_was_seen_taken(
    coop: Coop, helsinki: BikeNetwork
) -> None:
    """Accept-all and programs send no ``expected_seq``: a job taken meanwhile is a conflict
    naming the act and who did it; a desk that sent the seq it saw (the job already taken)
    hears the job's state."""
    job_id = _proposed(coop)
    decide(coop.store, coop.id, helsinki, job_id, Decision("accept"), dispatcher_id="anna", now=at(2))
    with pytest.raises(Conflict) as taken:
        decide(coop.store, coop.id, helsinki, job_id, Decision("accept"), dispatcher_id="ben", now=at(3))
    assert (taken.value.last_act, taken.value.by) == ("ProposalAccepted", "dispatcher anna")
    seen = coop.store.job(coop.id, job_id).last_seq
    seen_taken = Decision("accept", expected_seq=seen)
    with pytest.raises(IllegalTransition):
        decide(coop.store, coop.id, helsinki, job_id, seen_taken, dispatcher_id="ben", now=at(3))


@SQLITE_ONLY
def test_a_stale_override_hears_who_acted_before_what_it_would_cost(coop: Coop, helsinki: BikeNetwork) -> None:
    """An outside attack: the override of a job another desk had accepted meanwhile heard "over
    the payload: force it and say why", and only once forced, who had accepted it."""
    job = do.request_job(coop.store, coop.id, coop.client, a_request(weight_kg=60.0), at=at(0)).id
    do.start_shift(coop.store, coop.id, coop.cargo, at=at(0))
    do.start_shift(coop.store, coop.id, coop.bike, at=at(0))
    do.propose(coop.store, coop.id, job, coop.cargo, at=at(1))
    seen = coop.store.job(coop.id, job).last_seq
    decide(coop.store, coop.id, helsinki, job, Decision("accept"), dispatcher_id="anna", now=at(2))
    to_the_bike = Decision("override", coop.bike, expected_seq=seen)  # 60 kg on a 25 kg bike, and stale
    with pytest.raises(Conflict) as stale:
        decide(coop.store, coop.id, helsinki, job, to_the_bike, dispatcher_id="ben", now=at(3))
    assert (stale.value.last_act, stale.value.by) == ("ProposalAccepted", "dispatcher anna")


@SQLITE_ONLY
def test_a_job_held_by_a_paused_courier_is_priced_and_moved_to_someone_on_shift(
    coop: Coop, helsinki: BikeNetwork
) -> None:
    """The planner leaves a paused courier's work aside (``courier_off_shift``), so the job was in
    no planning problem and moving it heard "is assigned: there is nothing to decide", its cost as
    much as the act: now it is weighed for the other courier as an open job would be."""
    job_id = _proposed(coop)
    decide(coop.store, coop.id, helsinki, job_id, Decision("accept"), dispatcher_id="d1", now=at(2))
    do.start_shift(coop.store, coop.id, coop.cargo, at=at(2))
    do.pause_shift(coop.store, coop.id, coop.bike, at=at(3))
    cost = decision_cost(coop.store, coop.id, helsinki, job_id, coop.cargo, at(4))
    assert cost.extra_minutes is not None and cost.extra_minutes > 0 and not cost.breaks, cost
    assert said(cost.summary[0]).startswith("adds "), all_said(cost.summary)
    move = Decision("reassign", coop.cargo, reason="Aino is on a pause")
    event, given = decide(coop.store, coop.id, helsinki, job_id, move, dispatcher_id="d1", now=at(5))
    assert event.type == "JobReassigned" and given is not None and given.extra_minutes == cost.extra_minutes
    assert coop.store.job(coop.id, job_id).courier_id == coop.cargo


def test_an_override_to_a_courier_not_riding_now_needs_force_and_a_reason(coop: Coop, helsinki: BikeNetwork) -> None:
    """Outside tester's M5: an override to a courier off shift was a 200 with no reason, where a
    reassignment to them is refused unless forced with one. The planner leaves their work aside
    (off shift, gone home, on a pause), so the job would sit unplanned: now it is a limit as a
    vehicle's payload is, named, and forced only with a reason the log keeps. On SQLite and
    PostgreSQL."""
    job_id = _proposed(coop)  # proposed to Aino; Mikko has not started his shift
    for limit in ("not_on_shift", "courier_paused"):
        seen = coop.store.job(coop.id, job_id).last_seq
        with pytest.raises(PhysicalLimit) as refused:
            decide(
                coop.store, coop.id, helsinki, job_id, Decision("override", coop.cargo, expected_seq=seen),
                dispatcher_id="d1", now=at(2),
            )  # fmt: skip
        assert refused.value.code == "physical_limit" and [b.code for b in refused.value.breaks] == [limit]
        assert "not riding now" in str(refused.value) and "force" in str(refused.value), str(refused.value)
        for blank in (" ", "\u2800", "\u3164\u034f", "\u00ad\ufe0f"):  # blanks that draw nothing (attack M3)
            with pytest.raises(InvalidInput, match="a forced decision needs a reason"):
                decide(
                    coop.store, coop.id, helsinki, job_id, Decision("override", coop.cargo, reason=blank, force=True),
                    dispatcher_id="d1", now=at(2),
                )  # fmt: skip
        assert coop.store.job(coop.id, job_id).state is JobState.PROPOSED  # nothing written
        if limit == "not_on_shift":  # then he starts and pauses: a pause is refused the same way
            do.start_shift(coop.store, coop.id, coop.cargo, at=at(2))
            do.pause_shift(coop.store, coop.id, coop.cargo, at=at(2))
    forced = Decision("override", coop.cargo, reason="Mikko is back in five minutes", force=True)
    event, cost = decide(coop.store, coop.id, helsinki, job_id, forced, dispatcher_id="d1", now=at(3))
    assert cost is not None and [b.code for b in cost.breaks] == ["courier_paused"]
    assert event.type == "JobOverridden" and event.payload["reason"] == "Mikko is back in five minutes"
    assert event.payload["forced"] is True and event.payload["cost"]["breaks"][0]["code"] == "courier_paused"
    logged = coop.store.events(coop.id, after_seq=event.seq - 1, limit=1)[0]
    assert logged.payload["reason"] == "Mikko is back in five minutes"
    assert coop.store.job(coop.id, job_id).courier_id == coop.cargo


def test_giving_work_to_an_erased_courier_says_an_erasure_is_final(coop: Coop, helsinki: BikeNetwork) -> None:
    """Outside tester's L12: overriding to an erased courier said "reactivate them before giving
    them work", but an erasure can never be undone; a deactivated courier still hears that."""
    from dispatch.events import Actor, ActorKind
    from dispatch.store.access import deactivate_courier
    from dispatch.store.erasure import erase_courier

    job_id = _proposed(coop)
    desk = Actor(ActorKind.DISPATCHER, "d1")
    deactivate_courier(coop.store, coop.id, coop.cargo, by=desk, reason="moved away")
    with pytest.raises(InvalidInput) as refused:
        decide(coop.store, coop.id, helsinki, job_id, Decision("override", coop.cargo), dispatcher_id="d1", now=at(2))
    assert refused.value.why == "courier_deactivated_give"
    erase_courier(coop.store, coop.id, coop.cargo, by=desk, reason="asked to be forgotten")
    with pytest.raises(InvalidInput) as refused:
        decide(coop.store, coop.id, helsinki, job_id, Decision("override", coop.cargo), dispatcher_id="d1", now=at(2))
    assert refused.value.why == "courier_erased_for_good"


def test_a_courier_who_stops_between_the_cost_and_the_act_is_not_given_the_job_unforced(
    coop: Coop, helsinki: BikeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Second outside attack's high finding: an override sent while Mikko was riding, his
    shift ending a moment later, landed unforced after his ShiftEnded (5 runs of 6): the shift
    was checked with the cost, and a shift ending does not move the job's seq. The event now
    says it stands only if he still rides, and the log's fold refuses it in the append's
    transaction. Both an override and a reassignment; on SQLite and PostgreSQL."""
    from dispatch import decisions

    job_id = _proposed(coop)
    do.start_shift(coop.store, coop.id, coop.cargo, at=at(1))
    weighed = decisions.override_cost

    def he_stops_meanwhile(*args: object, **kwargs: object) -> decisions.OverrideCost:
        cost = weighed(*args, **kwargs)  # type: ignore[arg-type]
        do.end_shift(coop.store, coop.id, coop.cargo, at=at(2))
        return cost

    monkeypatch.setattr(decisions, "override_cost", he_stops_meanwhile)
    with pytest.raises(PhysicalLimit) as refused:
        decide(coop.store, coop.id, helsinki, job_id, Decision("override", coop.cargo), dispatcher_id="d1", now=at(2))
    assert [b.code for b in refused.value.breaks] == ["not_on_shift"] and refused.value.why == "shift_limit"
    assert coop.store.job(coop.id, job_id).state is JobState.PROPOSED  # nothing written
    monkeypatch.setattr(decisions, "override_cost", weighed)
    decide(coop.store, coop.id, helsinki, job_id, Decision("accept"), dispatcher_id="d1", now=at(3))  # Aino's
    do.start_shift(coop.store, coop.id, coop.cargo, at=at(3))
    monkeypatch.setattr(decisions, "override_cost", he_stops_meanwhile)
    with pytest.raises(PhysicalLimit):
        decide(coop.store, coop.id, helsinki, job_id, Decision("reassign", coop.cargo), dispatcher_id="d1", now=at(4))
    assert coop.store.job(coop.id, job_id).courier_id == coop.bike

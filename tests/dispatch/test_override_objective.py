"""An override's cost is weighed by the planner's own objective, beside the proposal's (issue 15)."""

from __future__ import annotations

import re
from datetime import timedelta

from dispatch import commands as do
from dispatch.decisions import override_cost
from dispatch.model import Vehicle
from dispatch.planning import planning_round
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.conftest import SQLITE_ONLY
from tests.dispatch.helsinki import MARKET, NOON, STATION
from tests.dispatch.test_planning import job
from tests.words import all_said


@SQLITE_ONLY  # the planner is tested, not the database (the store's tests prove both)
def test_an_override_is_weighed_by_the_objective_against_the_proposal(store: Store, helsinki: BikeNetwork) -> None:
    coop_id = store.create_cooperative("Override coop", fairness_weight=1.0).id
    client = store.add_client(coop_id, "Shop")[0].id
    aino = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    mikko = store.add_courier(coop_id, "Mikko", Vehicle.of_kind("bike")).id
    for courier in (aino, mikko):
        do.start_shift(store, coop_id, courier, at=NOON, planned_end=NOON + timedelta(hours=4))
    light = do.request_job(store, coop_id, client, job(STATION, MARKET, 3), at=NOON).id
    planning_round(store, coop_id, helsinki, NOON, budget_s=0.5)
    proposed = store.job(coop_id, light).proposal
    assert proposed is not None
    other = mikko if proposed["courier_id"] == aino else aino

    cost = override_cost(store, coop_id, helsinki, light, other, NOON)
    summary = "; ".join(all_said(cost.summary))
    found = re.search(r"by the plan's objective .* it costs ([\d.]+) min, the proposal ([\d.]+) min", summary)
    assert found is not None, summary
    theirs, proposal = float(found[1]), float(found[2])
    assert cost.extra_minutes is not None and theirs >= cost.extra_minutes > 0
    assert proposal <= theirs  # the planner proposed what its objective prefers
    # Asked about the proposed courier itself, there is nothing to set against.
    same = override_cost(store, coop_id, helsinki, light, proposed["courier_id"], NOON)
    same_said = "; ".join(all_said(same.summary))
    assert re.search(r"by the plan's objective .* it costs [\d.]+ min(;|$)", same_said), same_said

"""The travel cache gives a round the same matrices as a fresh search, searching only new places."""

from __future__ import annotations

import numpy as np
import pytest

from routing.matrix import routable_graph
from routing.network import BikeNetwork, open_city
from routing.problem import travel_times
from routing.profiles import PROFILES
from routing.travel_cache import TravelCache


@pytest.fixture(scope="module")
def helsinki() -> BikeNetwork:
    return open_city(None)


@pytest.mark.parametrize("profile", ["bike", "cargo_bike"])
def test_rounds_get_what_a_fresh_search_gives_and_search_only_new_places(helsinki: BikeNetwork, profile: str) -> None:
    graph = routable_graph(helsinki, PROFILES[profile])
    rng = np.random.default_rng(5)
    cache = TravelCache()
    pool = rng.choice(graph.nodes.shape[0], size=120, replace=False)
    searched = 0
    for round_ in range(6):
        # each round: most places of the last one (open jobs), a few new ones, repeats allowed
        nodes = np.concatenate([pool[round_ * 10 : round_ * 10 + 40], pool[rng.integers(0, 120, 5)]]).astype(np.int64)
        got = cache.travel_times(graph, nodes)
        want = travel_times(graph, nodes)
        for name in ("ride_s", "walk_s", "metres"):
            np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-9, atol=1e-6, err_msg=name)
        assert got.cruise_kmh == want.cruise_kmh and got.slowdown_per_25kg == want.slowdown_per_25kg
        assert cache.searched_nodes - searched <= (45 if round_ == 0 else 15)  # not the whole round again
        searched = cache.searched_nodes


def test_the_table_starts_again_past_its_bound(helsinki: BikeNetwork) -> None:
    graph = routable_graph(helsinki, PROFILES["bike"])
    cache = TravelCache(max_nodes=50)
    first = np.arange(0, 40, dtype=np.int64)
    second = np.arange(40, 80, dtype=np.int64)
    cache.travel_times(graph, first)
    got = cache.travel_times(graph, second)
    np.testing.assert_allclose(got.ride_s, travel_times(graph, second).ride_s, rtol=1e-9, atol=1e-6)
    assert cache.searched_nodes == 80


def test_past_its_bound_the_table_keeps_the_rounds_known_nodes_instead_of_searching_them_again(
    helsinki: BikeNetwork,
) -> None:
    # A busy day: each round needs more than the bound allows (issue 21, 1,500 open jobs).
    graph = routable_graph(helsinki, PROFILES["bike"])
    cache = TravelCache(max_nodes=50)
    cache.travel_times(graph, np.arange(0, 40, dtype=np.int64))
    second = np.arange(20, 70, dtype=np.int64)  # 20 known, 30 new: 70 would exceed the bound
    got = cache.travel_times(graph, second)
    assert cache.searched_nodes == 40 + 30  # the 20 known nodes were not searched again
    want = travel_times(graph, second)
    for name in ("ride_s", "walk_s", "metres"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-9, atol=1e-6, err_msg=name)
    third = np.arange(15, 75, dtype=np.int64)  # larger than the bound on its own: still whole
    got = cache.travel_times(graph, third)
    assert cache.searched_nodes == 70 + 10  # 15-19 were dropped with the cut, 70-74 are new
    np.testing.assert_allclose(got.ride_s, travel_times(graph, third).ride_s, rtol=1e-9, atol=1e-6)

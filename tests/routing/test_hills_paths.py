"""Each vehicle's own way up the hills (issue 20, item 4): a loaded cargo bike takes the longer,
flatter street where that is faster with its load, the matrices know both ways, and a city
without heights gets exactly the matrices it always had."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

import routing.matrix
from routing.matrix import RoutableGraph, fastest_path, node_matrix, node_sums, routable_graph, snap
from routing.network import BikeNetwork, load_network, with_elevation
from routing.problem import travel_times
from routing.profiles import PROFILES
from routing.travel_cache import TravelCache
from tests.routing.test_elevation import ANDORRA, ANDORRA_TILE

#: Andorra la Vella: from above the Avinguda Meritxell to the west of the old town. Empty, a
#: cargo bike rides 1.19 km climbing 12 m; with 100 kg the fastest way is 1.31 km climbing 4 m.
FROM, TO = (1.53300, 42.50630), (1.52151, 42.50615)


@pytest.fixture(scope="module")
def hilly(tmp_path_factory: pytest.TempPathFactory) -> BikeNetwork:
    if not ANDORRA.is_file():
        pytest.skip("../shared/data/osm/andorra.osm.pbf is not here")
    return with_elevation(load_network(ANDORRA, cache_dir=tmp_path_factory.mktemp("cache")), [ANDORRA_TILE])


def _climb_m(network: BikeNetwork, graph: RoutableGraph, nodes: np.ndarray) -> float:
    assert network.elevation_m is not None
    rise = np.diff(network.elevation_m[graph.nodes[nodes]])
    return float(rise[rise > 0].sum())


def test_a_loaded_cargo_bike_takes_a_longer_flatter_way_and_gains_time_by_it(hilly: BikeNetwork) -> None:
    graph = routable_graph(hilly, PROFILES["cargo_bike"])
    full = PROFILES["cargo_bike"].payload_kg
    a, b = (int(n) for n in snap(graph, [FROM, TO]).node)
    empty = fastest_path(graph, a, b, load_kg=0.0)
    loaded = fastest_path(graph, a, b, load_kg=full)
    assert set(empty.arcs.tolist()) != set(loaded.arcs.tolist())
    assert loaded.metres > empty.metres * 1.05  # longer...
    assert _climb_m(hilly, graph, loaded.nodes) < _climb_m(hilly, graph, empty.nodes) - 5  # ...and flatter
    along_empty_way = float(graph.arc_time_s(full)[empty.arcs].sum())
    assert loaded.seconds < along_empty_way - 20  # and faster with the load on board

    travel = travel_times(graph, np.array([a, b], dtype=np.int64))
    assert travel.loaded_path_s is not None and travel.ride_loaded_s is not None
    assert travel.leg_seconds(0, 1, full) == pytest.approx(loaded.seconds, abs=0.05)  # to the millisecond per arc
    assert travel.leg_seconds(0, 1, 0.0) == pytest.approx(empty.seconds, abs=0.05)
    assert float(travel.ride_loaded_s[0, 1] + travel.walk_s[0, 1]) == pytest.approx(along_empty_way, abs=0.05)
    assert travel.metres[0, 1] == pytest.approx(empty.metres)  # metres: the empty vehicle's way


def _reference(graph: RoutableGraph, load_kg: float) -> nx.DiGraph:
    """The same arcs for networkx; of parallel arcs the fastest."""
    times = graph.arc_time_s(load_kg)
    reference = nx.DiGraph()
    for tail, head, arc in zip(graph.tail.tolist(), graph.head.tolist(), range(graph.n_arcs), strict=True):
        if not reference.has_edge(tail, head) or reference[tail][head]["weight"] > times[arc]:
            reference.add_edge(tail, head, weight=float(times[arc]), arc=arc)
    return reference


@pytest.mark.parametrize("profile", ["cargo_bike", "e_cargo_bike"])
def test_both_ways_match_networkx_on_the_same_arc_weights(hilly: BikeNetwork, profile: str) -> None:
    graph = routable_graph(hilly, PROFILES[profile])
    full = PROFILES[profile].payload_kg
    rng = np.random.default_rng(8)
    nodes = rng.choice(graph.n_nodes, size=40, replace=False).astype(np.int64)
    travel = travel_times(graph, nodes)
    assert travel.loaded_path_s is not None and travel.loaded_path_empty_s is not None
    empty_times, loaded_times = graph.arc_time_s(0.0), graph.arc_time_s(full)
    for load, matrix, other, times in (
        (0.0, travel.seconds(0.0), travel.ride_loaded_s, loaded_times),
        (full, travel.loaded_path_s, travel.loaded_path_empty_s, empty_times),
    ):
        assert other is not None
        reference = _reference(graph, load)
        for i in (0, 13, 27):
            for j in (3, 19, 38):
                # One search per pair, from both ends: the same shortest way as a whole-graph
                # search from i, in a fraction of its time (three of those took 6 s of the suite).
                length, path = nx.bidirectional_dijkstra(reference, int(nodes[i]), int(nodes[j]), weight="weight")
                arcs = [reference[u][v]["arc"] for u, v in itertools.pairwise(path)]
                # Whole milliseconds per arc: at most half of one each, off.
                tolerance = 5e-4 * len(arcs) + 1e-9
                assert matrix[i, j] == pytest.approx(length, abs=tolerance)
                # The other load along the same way (ridden empty, or with the payload).
                want = float(times[arcs].sum()) + (travel.walk_s[i, j] if load == 0.0 else 0.0)
                got = other[i, j] + (travel.walk_s[i, j] if load == 0.0 else 0.0)
                assert got == pytest.approx(want, abs=tolerance)


def test_between_the_two_ends_a_leg_takes_the_better_way_close_to_a_search_at_that_load(hilly: BikeNetwork) -> None:
    graph = routable_graph(hilly, PROFILES["cargo_bike"])
    full = PROFILES["cargo_bike"].payload_kg
    rng = np.random.default_rng(2)
    nodes = rng.choice(graph.n_nodes, size=60, replace=False).astype(np.int64)
    travel = travel_times(graph, nodes)
    assert travel.ride_loaded_s is not None
    half = travel.seconds(full / 2)
    along_empty_way = travel.ride_s + (travel.ride_loaded_s - travel.ride_s) / 2 + travel.walk_s
    assert (half <= along_empty_way).all() and (half < along_empty_way - 1).any()
    exact, _ = node_matrix(graph, nodes, nodes, load_kg=full / 2, with_distance=False)
    off = ~np.eye(nodes.shape[0], dtype=bool)
    error = (half - exact)[off] / exact[off]
    # The chord lies below a way's true time where the load makes the rider push (the time
    # stops growing with the load): on Andorra about 1 % on average at half the payload.
    assert abs(float(error.mean())) < 0.03 and float(np.abs(error).max()) < 0.25


def test_the_travel_cache_gives_the_loaded_matrices_of_a_fresh_search(hilly: BikeNetwork) -> None:
    graph = routable_graph(hilly, PROFILES["e_cargo_bike"])
    rng = np.random.default_rng(4)
    pool = rng.choice(graph.n_nodes, size=70, replace=False)
    cache = TravelCache(max_nodes=60)
    for round_ in range(4):
        nodes = pool[round_ * 10 : round_ * 10 + 40].astype(np.int64)
        got, want = cache.travel_times(graph, nodes), travel_times(graph, nodes)
        assert len(got.matrices()) == len(want.matrices()) == 6
        for name, g, w in zip(
            ("ride", "walk", "metres", "ride loaded", "loaded way", "loaded way empty"),
            got.matrices(),
            want.matrices(),
            strict=True,
        ):
            np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-6, err_msg=name)
        np.testing.assert_array_equal(got.seconds(30.0), want.seconds(30.0))
    assert cache.searched_nodes < 40 + 3 * 10 + 40  # grown, cut once past its bound, not redone


def test_paths_too_long_to_pack_are_summed_along_the_trees_instead(
    hilly: BikeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = routable_graph(hilly, PROFILES["cargo_bike"])
    nodes = np.random.default_rng(6).choice(graph.n_nodes, size=30, replace=False).astype(np.int64)
    packed = node_sums(graph, nodes, nodes, load_kg=0.0, quantities=None, then_load_kg=100.0)
    graph._cache.clear()
    monkeypatch.setattr(routing.matrix, "PACK_SHIFT", 2.0**12)  # 4 s: every path is too long
    summed = node_sums(graph, nodes, nodes, load_kg=0.0, quantities=None, then_load_kg=100.0)
    graph._cache.clear()
    np.testing.assert_allclose(summed[0], packed[0], atol=0.5)
    np.testing.assert_allclose(summed[1][0], packed[1][0], atol=0.5)
    exact, _ = node_matrix(graph, nodes, nodes, load_kg=0.0, with_distance=False)
    np.testing.assert_array_equal(summed[0], exact)  # no packing: the exact sums


def test_a_city_without_heights_gets_exactly_its_old_matrices(helsinki: BikeNetwork) -> None:
    assert helsinki.grade is None
    graph = routable_graph(helsinki, PROFILES["cargo_bike"])
    nodes = np.random.default_rng(1).choice(graph.n_nodes, size=50, replace=False).astype(np.int64)
    travel = travel_times(graph, nodes)
    assert travel.ride_loaded_s is None and travel.loaded_path_s is None and len(travel.matrices()) == 3
    seconds, metres = node_matrix(graph, nodes, nodes, load_kg=0.0)
    # One search on the exact seconds (no milliseconds packed): riding and walking add up to it.
    np.testing.assert_allclose(travel.ride_s + travel.walk_s, seconds, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(travel.metres, metres)
    factor = travel.speed_factor(40.0)
    np.testing.assert_array_equal(travel.seconds(40.0), travel.ride_s * factor + travel.walk_s)
    assert travel.leg_seconds(3, 7, 40.0) == float(travel.ride_s[3, 7] * factor + travel.walk_s[3, 7])

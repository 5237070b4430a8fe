"""Snapping, time/distance matrices and paths, checked against networkx on real streets."""

from __future__ import annotations

import dataclasses
import itertools

import networkx as nx
import numpy as np
import pytest

from routing.matrix import (
    PointOffNetworkError,
    RoutableGraph,
    fastest_path,
    node_matrix,
    path_geojson,
    routable_graph,
    snap,
    travel_matrix,
)
from routing.network import HIGHWAY_VALUES, ArcFlag, BikeNetwork
from routing.profiles import PROFILES, Movement

STEPS = HIGHWAY_VALUES.index("steps")
RAILWAY_STATION = (24.9414, 60.1710)
MARKET_SQUARE = (24.9525, 60.1675)


def _networkx(graph: RoutableGraph, load_kg: float) -> nx.DiGraph:
    """The same graph for networkx; of parallel arcs the fastest, as a rider would choose."""
    times = graph.arc_time_s(load_kg)
    g = nx.DiGraph()
    for tail, head, seconds, metres in zip(
        graph.tail.tolist(), graph.head.tolist(), times.tolist(), graph.length_m.tolist(), strict=True
    ):
        if not g.has_edge(tail, head) or g[tail][head]["weight"] > seconds:
            g.add_edge(tail, head, weight=seconds, metres=metres)
    return g


def _sample(graph: RoutableGraph, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(graph.n_nodes, n, replace=False)


@pytest.mark.parametrize(("profile", "load_kg"), [("bike", 0.0), ("cargo_bike", 60.0), ("e_cargo_bike", 80.0)])
def test_matrix_matches_networkx_exactly(helsinki: BikeNetwork, profile: str, load_kg: float) -> None:
    graph = routable_graph(helsinki, profile)
    reference = _networkx(graph, load_kg)
    nodes = _sample(graph, 40, seed=7)
    seconds, metres = node_matrix(graph, nodes, nodes, load_kg=load_kg)
    assert metres is not None
    for i, origin in enumerate(nodes.tolist()):
        times, paths = nx.single_source_dijkstra(reference, origin, weight="weight")
        for j, destination in enumerate(nodes.tolist()):
            assert seconds[i, j] == pytest.approx(times[destination], rel=1e-9, abs=1e-6)
            path = paths[destination]
            along = sum(reference[a][b]["metres"] for a, b in itertools.pairwise(path))
            assert metres[i, j] == pytest.approx(along, rel=1e-9, abs=1e-6)
    assert (np.diag(seconds) == 0).all()


def test_rectangular_matrix_with_repeated_points(helsinki: BikeNetwork) -> None:
    graph = routable_graph(helsinki, "bike")
    nodes = _sample(graph, 12, seed=3)
    origins, destinations = nodes[[0, 1, 1, 5]], nodes[[2, 3, 4, 5, 6, 2, 0]]
    full, _ = node_matrix(graph, nodes, nodes)
    part, _ = node_matrix(graph, origins, destinations, with_distance=False)
    index = {n: k for k, n in enumerate(nodes.tolist())}
    expected = full[np.ix_([index[o] for o in origins.tolist()], [index[d] for d in destinations.tolist()])]
    np.testing.assert_allclose(part, expected, rtol=1e-12)


def test_cargo_bike_routes_never_use_steps_while_bike_routes_may(helsinki: BikeNetwork) -> None:
    def steps_used(profile: str) -> int:
        graph = routable_graph(helsinki, profile)
        nodes = _sample(graph, 30, seed=11)
        used = 0
        for a in nodes[:15].tolist():
            for b in nodes[15:].tolist():
                path = fastest_path(graph, a, b)
                used += int(np.count_nonzero(helsinki.highway[graph.arcs[path.arcs]] == STEPS))
        return used

    assert steps_used("bike") > 0  # the sample does cross steps, so the cargo check below means something
    assert steps_used("cargo_bike") == 0
    assert steps_used("e_cargo_bike") == 0


def test_contraflow_is_honoured(helsinki: BikeNetwork) -> None:
    graph = routable_graph(helsinki, "bike")
    city_flags = helsinki.flags[graph.arcs]
    contraflow = np.flatnonzero(
        ((city_flags & ArcFlag.AGAINST_ONEWAY) != 0) & ((city_flags & ArcFlag.BICYCLE_CONTRAFLOW) != 0)
    )
    assert contraflow.size > 0
    times = graph.arc_time_s(0.0)
    for arc in contraflow.tolist():
        # Riding against the one-way along the contraflow lane is the fastest way back.
        path = fastest_path(graph, int(graph.tail[arc]), int(graph.head[arc]))
        assert path.seconds == pytest.approx(times[arc])
    # And a plain one-way is never ridden the wrong way.
    plain = ((helsinki.flags & ArcFlag.AGAINST_ONEWAY) != 0) & ((helsinki.flags & ArcFlag.BICYCLE_CONTRAFLOW) == 0)
    assert plain.any() and not plain[graph.arcs].any()


def test_one_way_streets_make_the_matrix_asymmetric(tiny_town: BikeNetwork) -> None:
    graph = routable_graph(tiny_town, "bike")
    ids = tiny_town.node_osm_id[graph.nodes].tolist()
    n4, n6 = ids.index(4), ids.index(6)
    seconds, _ = node_matrix(graph, np.array([n4, n6]), np.array([n4, n6]))
    # 4 -> 6 rides the one-way street; 6 -> 4 must go round.
    assert seconds[0, 1] < seconds[1, 0]


def test_matrices_are_symmetric_only_where_the_network_is(helsinki: BikeNetwork) -> None:
    graph = routable_graph(helsinki, "bike")
    nodes = _sample(graph, 80, seed=5)
    seconds, _ = node_matrix(graph, nodes, nodes)
    asymmetric = np.argwhere(~np.isclose(seconds, seconds.T, rtol=1e-9, atol=1e-6))
    assert asymmetric.size > 0  # central Helsinki has one-way streets
    times = graph.arc_time_s(0.0)
    reverse_time: dict[tuple[int, int], float] = {}
    for tail, head, t in zip(graph.tail.tolist(), graph.head.tolist(), times.tolist(), strict=True):
        reverse_time[(head, tail)] = min(t, reverse_time.get((head, tail), np.inf))
    faster_way = asymmetric[seconds[asymmetric[:, 0], asymmetric[:, 1]] < seconds[asymmetric[:, 1], asymmetric[:, 0]]]
    for i, j in faster_way[:60].tolist():
        path = fastest_path(graph, int(nodes[i]), int(nodes[j]))
        # Were every arc of the faster way ridable back in the same time, the way back would
        # be as fast: so some arc on it is one-way (or slower the other way).
        one_way_somewhere = any(
            reverse_time.get((int(graph.tail[a]), int(graph.head[a])), np.inf) != pytest.approx(times[a])
            for a in path.arcs.tolist()
        )
        assert one_way_somewhere, (i, j)

    # Control: the same streets with every one-way lifted give a symmetric matrix.
    two_way = dataclasses.replace(helsinki, flags=helsinki.flags & ~np.uint16(ArcFlag.AGAINST_ONEWAY), _views={})
    graph2 = routable_graph(two_way, "bike")
    local = np.full(helsinki.n_nodes, -1)
    local[graph2.nodes] = np.arange(graph2.n_nodes)
    nodes2 = local[graph.nodes[nodes]]
    nodes2 = nodes2[nodes2 >= 0]
    seconds2, _ = node_matrix(graph2, nodes2, nodes2)
    np.testing.assert_allclose(seconds2, seconds2.T, rtol=1e-9, atol=1e-6)


def test_eighty_kilos_on_an_e_cargo_bike_take_longer(helsinki: BikeNetwork) -> None:
    graph = routable_graph(helsinki, "e_cargo_bike")
    points = [RAILWAY_STATION, MARKET_SQUARE]
    empty = travel_matrix(graph, points, load_kg=0.0)
    loaded = travel_matrix(graph, points, load_kg=80.0)
    assert loaded.seconds[0, 1] > empty.seconds[0, 1] > 0
    assert loaded.metres is not None and empty.metres is not None
    assert loaded.metres[0, 1] == pytest.approx(empty.metres[0, 1], rel=0.05)


@pytest.mark.parametrize(
    ("point", "why"),
    [
        ((24.9600, 60.1610), "off_the_streets"),  # in the South Harbour
        ((25.0300, 60.1700), "off_the_streets"),  # 5 km east, outside the extract
        ((float("nan"), 60.17), "not_a_coordinate"),
        ((24.94, 95.0), "not_a_coordinate"),
    ],
)
def test_points_off_the_network_are_refused_by_name(
    helsinki: BikeNetwork, point: tuple[float, float], why: str
) -> None:
    graph = routable_graph(helsinki, "cargo_bike")
    with pytest.raises(PointOffNetworkError, match=why) as caught:
        snap(graph, [RAILWAY_STATION, point])
    assert caught.value.index == 1 and caught.value.why == why  # a code and figures; the edge words them
    assert caught.value.params["point"] == 1
    if caught.value.distance_m is not None:
        assert caught.value.distance_m > 300 and caught.value.params["metres"] > 300
        assert caught.value.params["max_m"] == 300 and caught.value.params["vehicle"] == "cargo_bike"


def test_snap_distance_limit_is_configurable(helsinki: BikeNetwork) -> None:
    graph = routable_graph(helsinki, "bike")
    snapped = snap(graph, [RAILWAY_STATION], max_distance_m=300)
    assert snapped.distance_m[0] < 50
    with pytest.raises(PointOffNetworkError):
        snap(graph, [RAILWAY_STATION], max_distance_m=snapped.distance_m[0] / 2)


def test_path_geojson_for_the_map(helsinki: BikeNetwork) -> None:
    graph = routable_graph(helsinki, "cargo_bike")
    feature = path_geojson(graph, RAILWAY_STATION, MARKET_SQUARE, load_kg=40.0)
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "LineString"
    coords = np.array(feature["geometry"]["coordinates"])
    assert coords.shape[0] > 10
    assert np.abs(coords[0] - RAILWAY_STATION).max() < 0.003 and np.abs(coords[-1] - MARKET_SQUARE).max() < 0.003
    matrix = travel_matrix(graph, [RAILWAY_STATION, MARKET_SQUARE], load_kg=40.0)
    assert feature["properties"]["seconds"] == pytest.approx(matrix.seconds[0, 1], abs=0.1)
    assert matrix.metres is not None
    assert feature["properties"]["metres"] == pytest.approx(matrix.metres[0, 1], abs=0.1)


def test_cargo_network_is_a_strict_subset_explained_by_steps_and_narrow_ways(helsinki: BikeNetwork) -> None:
    bike, cargo = routable_graph(helsinki, "bike"), routable_graph(helsinki, "cargo_bike")
    assert set(cargo.nodes.tolist()) < set(bike.nodes.tolist())
    assert set(cargo.arcs.tolist()) < set(bike.arcs.tolist())
    only_bike = np.setdiff1d(bike.arcs, cargo.arcs)
    steps = helsinki.highway[only_bike] == STEPS
    narrow = helsinki.width_m[only_bike] < PROFILES["cargo_bike"].min_way_width_m  # type: ignore[operator]
    assert steps.any() and narrow.any()
    # The rest were cut off from the cargo network by those closures (strong connectivity).
    full = np.zeros(helsinki.n_arcs, dtype=bool)
    full[only_bike] = True
    rest = only_bike[~(steps | narrow)]
    in_cargo = np.zeros(helsinki.n_nodes, dtype=bool)
    in_cargo[cargo.nodes] = True
    cut_off = ~in_cargo[helsinki.tail[rest]] | ~in_cargo[helsinki.head[rest]]
    cargo_no = (helsinki.flags[rest] & ArcFlag.CARGO_BIKE_NO) != 0
    assert (cut_off | cargo_no).all()


def test_every_routable_arc_is_usable(helsinki: BikeNetwork) -> None:
    for name in PROFILES:
        graph = routable_graph(helsinki, name)
        assert (graph.movement != Movement.FORBIDDEN).all()
        assert np.isfinite(graph.arc_time_s(0.0)).all()


def test_few_to_many_and_many_to_few_agree_with_the_full_matrix(helsinki: BikeNetwork) -> None:
    graph = routable_graph(helsinki, "cargo_bike")
    nodes = _sample(graph, 60, seed=21)
    full, metres = node_matrix(graph, nodes, nodes, load_kg=30.0)
    assert metres is not None
    few = nodes[:3]
    out_s, out_m = node_matrix(graph, few, nodes, load_kg=30.0)  # uncontracted, pointer jumping
    in_s, in_m = node_matrix(graph, nodes, few, load_kg=30.0)  # searched backwards
    assert out_m is not None and in_m is not None
    np.testing.assert_allclose(out_s, full[:3], rtol=1e-9, atol=1e-5)
    np.testing.assert_allclose(in_s, full[:, :3], rtol=1e-9, atol=1e-5)
    np.testing.assert_allclose(out_m, metres[:3], rtol=1e-9, atol=1e-5)
    np.testing.assert_allclose(in_m, metres[:, :3], rtol=1e-9, atol=1e-5)

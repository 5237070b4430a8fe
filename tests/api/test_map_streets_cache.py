"""The street map's per-load seconds stay bounded (review of issue 17's map): a cargo bike's loads
span 50 rounded steps and a large city's CSR is tens of MB, so a worker keeps only the last
``LOADS_KEPT``, and a load used again is the same matrix, not a rebuilt one."""

from __future__ import annotations

import numpy as np

from api import map_routes
from routing.matrix import routable_graph
from routing.network import load_network


def test_the_street_maps_seconds_are_kept_for_the_last_loads_only() -> None:
    graph = routable_graph(load_network(None), "cargo_bike")
    loads = [float(kg) for kg in range(0, 5 * (map_routes.LOADS_KEPT + 4), 5)]
    first = map_routes._seconds_at(graph, 0.0)
    for kg in loads:
        map_routes._seconds_at(graph, kg)
    kept = map_routes._SECONDS[graph]
    assert len(kept) == map_routes.LOADS_KEPT, sorted(kept)
    assert list(kept) == loads[-map_routes.LOADS_KEPT :]  # the least recently used went first
    again = map_routes._seconds_at(graph, loads[-3])
    assert again is kept[loads[-3]] and list(kept)[-1] == loads[-3]  # reused, and now the newest
    rebuilt = map_routes._seconds_at(graph, 0.0)  # dropped earlier: built again, the same seconds
    assert rebuilt is not first and np.array_equal(rebuilt.data, first.data)

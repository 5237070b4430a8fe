"""Travel between places kept from one planning round to the next.

Consecutive rounds plan mostly the same places: the open jobs stay open for several rounds and
couriers stand where they last delivered. Searching every pair again each round was half of a
replay's time (``benchmarks/bench_replay.py``: 5.4 s of 12 s on a 60-job day). This cache keeps,
per vehicle profile, a square table over every node it has seen; a round asks for its nodes,
only the rows and columns of nodes never seen are searched (forwards from them and backwards to
them, which the matrix module does with one Dijkstra per new node), and the round's matrices
are sliced out of the table.

The values are those of :func:`routing.problem.travel_times` for the same nodes (the same
fastest paths; on exact ties of time the metres may come from another of the tied paths).
The table is bounded: past ``max_nodes`` it keeps only the nodes the round uses (which are
never searched again) before it grows by the new ones. A round that alone needs more than the
bound still gets its whole matrix: the bound limits what is *kept* for other rounds, and the
round's nodes are what the next round will mostly ask for. (Starting again from scratch instead
searched all 3,000 nodes of a 1,500-job round every round: 2.5 s of a 5 s warm round.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from routing.matrix import RoutableGraph, node_sums
from routing.problem import TravelTimes, path_quantities, travel_times


@dataclass
class _Table:
    nodes: NDArray[np.int64]
    index: dict[int, int]
    ride_s: NDArray[np.float64]
    walk_s: NDArray[np.float64]
    metres: NDArray[np.float64]
    ride_loaded_s: NDArray[np.float64] | None = None  #: in a city with heights (issue 20)

    def matrices(self) -> list[NDArray[np.float64]]:
        return [self.ride_s, self.walk_s, self.metres] + ([] if self.ride_loaded_s is None else [self.ride_loaded_s])


def _table(nodes: NDArray[np.int64], index: dict[int, int], matrices: list[NDArray[np.float64]]) -> _Table:
    ride, walk, metres = matrices[0], matrices[1], matrices[2]
    return _Table(nodes, index, ride, walk, metres, ride_loaded_s=matrices[3] if len(matrices) > 3 else None)


def _keep_only(table: _Table, wanted: NDArray[np.int64]) -> _Table:
    """The table cut down to the ``wanted`` nodes it already holds, in its own order."""
    rows = np.array(sorted(table.index[n] for n in wanted.tolist() if n in table.index), dtype=np.int64)
    nodes = table.nodes[rows]
    return _table(nodes, {n: i for i, n in enumerate(nodes.tolist())}, [_square(m, rows) for m in table.matrices()])


def _square(matrix: NDArray[np.float64], at: NDArray[np.int64]) -> NDArray[np.float64]:
    """``matrix[np.ix_(at, at)]``, row then column: 5x faster at 3,000 places (0.04 s against
    0.19 s), and a 1,500-job round slices nine such matrices."""
    return np.asarray(matrix.take(at, axis=0).take(at, axis=1), dtype=np.float64)


@dataclass
class TravelCache:
    """One per planner (a replay, or the API's planner process); not shared between threads."""

    max_nodes: int = 2500
    _tables: dict[str, _Table] = field(default_factory=dict)
    searched_nodes: int = 0  #: nodes whose rows had to be searched (for benchmarks and tests)

    def travel_times(self, graph: RoutableGraph, nodes: NDArray[np.int64]) -> TravelTimes:
        nodes = np.asarray(nodes, dtype=np.int64)
        profile = graph.profile
        table = self._tables.get(profile.name)
        wanted = np.unique(nodes)
        known = table.index if table is not None else {}
        new = np.array([n for n in wanted.tolist() if n not in known], dtype=np.int64)
        # Only the nodes never seen count against the bound: counting every node of the round
        # restarted the table each round once a round had more than half of ``max_nodes``
        # (bench_scale's 1,500 jobs: a warm round searched all of its 2,300 nodes again).
        if table is None or new.shape[0] == wanted.shape[0]:
            table = self._fresh(graph, wanted)  # nothing known is of use: one search of them all
        elif new.shape[0]:
            if table.nodes.shape[0] + new.shape[0] > self.max_nodes:
                table = _keep_only(table, wanted)
            table = self._grow(graph, table, new)
        self._tables[profile.name] = table
        at = np.array([table.index[n] for n in nodes.tolist()], dtype=np.int64)
        return TravelTimes(
            ride_s=_square(table.ride_s, at),
            walk_s=_square(table.walk_s, at),
            metres=_square(table.metres, at),
            cruise_kmh=profile.cruise_kmh,
            slowdown_per_25kg=profile.slowdown_per_25kg,
            min_riding_kmh=profile.min_riding_kmh,
            ride_loaded_s=None if table.ride_loaded_s is None else _square(table.ride_loaded_s, at),
            loaded_kg=0.0 if table.ride_loaded_s is None else profile.payload_kg,
        )

    def _fresh(self, graph: RoutableGraph, nodes: NDArray[np.int64]) -> _Table:
        self.searched_nodes += int(nodes.shape[0])
        t = travel_times(graph, nodes)
        return _Table(
            nodes, {n: i for i, n in enumerate(nodes.tolist())}, t.ride_s, t.walk_s, t.metres, t.ride_loaded_s
        )

    def _grow(self, graph: RoutableGraph, table: _Table, new: NDArray[np.int64]) -> _Table:
        self.searched_nodes += int(new.shape[0])
        every = np.concatenate([table.nodes, new])
        quantities = path_quantities(graph)
        out_s, out_q = node_sums(graph, new, every, load_kg=0.0, quantities=quantities)
        in_s, in_q = node_sums(graph, table.nodes, new, load_kg=0.0, quantities=quantities)
        old, total = table.nodes.shape[0], every.shape[0]

        def grown(
            kept: NDArray[np.float64], rows: NDArray[np.float64], cols: NDArray[np.float64]
        ) -> NDArray[np.float64]:
            out = np.empty((total, total), dtype=np.float64)
            out[:old, :old] = kept
            out[old:, :] = rows  # from the new nodes to every node (the new ones included)
            out[:old, old:] = cols  # from the known nodes to the new ones
            return out

        # Rows and columns in the table's order: riding, walking, metres (, riding loaded).
        rows = [out_s - out_q[1], out_q[1], out_q[0], *out_q[2:]]
        cols = [in_s - in_q[1], in_q[1], in_q[0], *in_q[2:]]
        kept = table.matrices()
        return _table(
            every,
            {**table.index, **{n: old + i for i, n in enumerate(new.tolist())}},
            [grown(k, r, c) for k, r, c in zip(kept, rows, cols, strict=True)],
        )

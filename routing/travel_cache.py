"""Travel between places kept from one planning round to the next.

Consecutive rounds plan mostly the same places: the open jobs stay open for several rounds and
couriers stand where they last delivered. Searching every pair again each round was half of a
replay's time (``benchmarks/bench_replay.py``: 5.4 s of 12 s on a 60-job day). This cache keeps,
per vehicle profile, a square table over every node it has seen; a round asks for its nodes,
only the rows and columns of nodes never seen are searched (forwards from them and backwards to
them, which the matrix module does with one Dijkstra per new node), and the round's matrices
are sliced out of the table.

The values are those of :func:`routing.problem.travel_times` for the same nodes (the same
fastest paths; on exact ties of time the metres may come from another of the tied paths). In a
city with heights each search is two, the empty and the loaded vehicle's ways (issue 20).
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

from routing.matrix import RoutableGraph
from routing.problem import TravelTimes, travel_matrices


@dataclass
class _Table:
    nodes: NDArray[np.int64]
    index: dict[int, int]
    #: In :func:`routing.problem.travel_matrices`' order: riding, walking, metres, and in a
    #: city with heights the loaded vehicle's (issue 20).
    matrices: list[NDArray[np.float64]]


def _keep_only(table: _Table, wanted: NDArray[np.int64]) -> _Table:
    """The table cut down to the ``wanted`` nodes it already holds, in its own order."""
    rows = np.array(sorted(table.index[n] for n in wanted.tolist() if n in table.index), dtype=np.int64)
    nodes = table.nodes[rows]
    return _Table(nodes, {n: i for i, n in enumerate(nodes.tolist())}, [_square(m, rows) for m in table.matrices])


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
        return TravelTimes.from_matrices(profile, [_square(m, at) for m in table.matrices])

    def _fresh(self, graph: RoutableGraph, nodes: NDArray[np.int64]) -> _Table:
        self.searched_nodes += int(nodes.shape[0])
        index = {n: i for i, n in enumerate(nodes.tolist())}
        return _Table(nodes, index, travel_matrices(graph, nodes, nodes))

    def _grow(self, graph: RoutableGraph, table: _Table, new: NDArray[np.int64]) -> _Table:
        self.searched_nodes += int(new.shape[0])
        every = np.concatenate([table.nodes, new])
        rows = travel_matrices(graph, new, every)  # from the new nodes to every node
        cols = travel_matrices(graph, table.nodes, new)  # from the known nodes to the new ones
        old, total = table.nodes.shape[0], every.shape[0]

        def grown(
            kept: NDArray[np.float64], rows: NDArray[np.float64], cols: NDArray[np.float64]
        ) -> NDArray[np.float64]:
            out = np.empty((total, total), dtype=np.float64)
            out[:old, :old] = kept
            out[old:, :] = rows
            out[:old, old:] = cols
            return out

        return _Table(
            every,
            {**table.index, **{n: old + i for i, n in enumerate(new.tolist())}},
            [grown(k, r, c) for k, r, c in zip(table.matrices, rows, cols, strict=True)],
        )

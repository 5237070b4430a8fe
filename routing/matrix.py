"""Snapping points to the streets, riding-time matrices, and the path between two points.

Everything here works on a :class:`RoutableGraph`: the part of a city that one vehicle profile
can use, cut down to its largest strongly connected component so that every point snapped to it
can reach, and be reached from, every other.

Matrices run scipy's Dijkstra (C code, one pass per origin) on a *contracted* copy of the graph:
OSM ways are split at every shape node, so most nodes (95 % in the Andorra extract) only pass
the way along. The chains of such nodes between junctions are summed into single arcs, keeping
the query's own points as junctions, which makes the graph many times smaller before Dijkstra
runs. Answers are exact: the same sums along the same arcs (``tests/routing/test_matrix.py``
checks them against networkx). ``benchmarks/bench_matrix.py`` measures the gain.

In a city with heights the planner needs each path's time at two loads (issue 20): one search
on packed weights (whole milliseconds of one load shifted above those of the other, summed
exactly in one float64) finds the fastest paths at the first load and carries the second
along them, instead of a second pass over every shortest-path tree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import ConvexHull, cKDTree

from routing.network import BikeNetwork
from routing.profiles import Movement, VehicleProfile, arc_movement, arc_time_s, get_profile

#: A point farther than this from a usable street is refused (metres).
DEFAULT_MAX_SNAP_M = 300.0
#: csgraph reads a stored zero as "no arc", and arrival order must put a parent strictly
#: before its child: zero-length arcs (two map nodes at one spot) take this many seconds.
_MIN_ARC_S = 1e-6
#: Up to this many origins (or destinations), search the uncontracted graph and sum by pointer jumping.
FEW = 8
#: Two arc times searched at once (:func:`packed_weights`): whole milliseconds of the first
#: shifted above whole milliseconds of the second, in one float64 whose sums stay exact
#: integers below 2**53. The second's totals must stay below the shift (18.6 h along a path)
#: and the first's below 2**27 ms (37 h); past either (:func:`_unpack` checks), :func:`node_sums`
#: sums the second load along the trees instead.
PACK_UNIT_S = 1e-3
PACK_SHIFT = float(2**26)


class PointOffNetworkError(ValueError):
    """A point is not on (or near enough to) a street the vehicle can use.

    It says so as a code (:attr:`why`: ``not_a_coordinate`` or ``off_the_streets``) with its
    figures (:attr:`params`), no sentence (issue 17): the edge words it in the reader's language
    (``api/error_words.py``), the API as a refusal, the CLI in English.
    """

    def __init__(
        self, index: int, lon: float, lat: float, *, distance_m: float | None, max_distance_m: float, profile: str
    ) -> None:
        self.index, self.lon, self.lat = index, lon, lat
        self.distance_m, self.max_distance_m, self.profile = distance_m, max_distance_m, profile
        self.why = "not_a_coordinate" if distance_m is None else "off_the_streets"
        super().__init__(self.why, self.params)

    @property
    def params(self) -> dict[str, Any]:
        """The figures the words need: the point (its index among those snapped), and how far."""
        point = {"point": self.index, "lat": round(self.lat, 6), "lon": round(self.lon, 6)}
        if self.distance_m is None:
            return point
        far = {"metres": round(self.distance_m, 0), "max_m": round(self.max_distance_m, 0), "vehicle": self.profile}
        return {**point, **far}


@dataclass(frozen=True, eq=False)
class RoutableGraph:
    """The streets one profile can use, as a local CSR graph over a subset of the city's nodes.

    ``nodes[i]`` is the city node of local node ``i``; ``arcs[j]`` the city arc of local arc
    ``j``. Local arcs are sorted by tail, so ``indptr`` indexes them.
    """

    network: BikeNetwork
    profile: VehicleProfile
    nodes: NDArray[np.int64]
    arcs: NDArray[np.int64]
    indptr: NDArray[np.int64]
    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    movement: NDArray[np.uint8]  #: per local arc
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        return int(self.nodes.shape[0])

    @property
    def n_arcs(self) -> int:
        return int(self.arcs.shape[0])

    @property
    def length_m(self) -> NDArray[np.float64]:
        return self.network.length_m[self.arcs]

    def arc_time_s(self, load_kg: float) -> NDArray[np.float64]:
        """Seconds per local arc with ``load_kg`` on board (memoised per load)."""
        key = f"time:{float(load_kg)!r}"
        cached = self._cache.get(key)
        if cached is None:
            full = np.full(self.network.n_arcs, Movement.FORBIDDEN, dtype=np.uint8)
            full[self.arcs] = self.movement
            cached = arc_time_s(self.network, self.profile, load_kg, full)[self.arcs]
            if len(self._cache) > 64:  # loads vary per route leg; keep memory bounded
                self._cache.clear()
            self._cache[key] = cached
        return cached

    def area_km2(self) -> float:
        """Area of the convex hull of the usable nodes."""
        if self.n_nodes < 3:
            return 0.0
        pts = np.column_stack([self.network.x[self.nodes], self.network.y[self.nodes]])
        return float(ConvexHull(pts).volume) / 1e6

    def total_length_km(self) -> float:
        return float(self.length_m.sum()) / 1000.0


def routable_graph(network: BikeNetwork, profile: VehicleProfile | str) -> RoutableGraph:
    """The largest strongly connected part of ``network`` that ``profile`` may use (memoised)."""
    prof = get_profile(profile) if isinstance(profile, str) else profile
    key = f"graph:{prof!r}"
    cached = network._views.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    movement = arc_movement(network, prof)
    usable = movement != Movement.FORBIDDEN
    n = network.n_nodes
    tail_all, head_all = network.tail, network.head
    adjacency = sp.csr_matrix(
        (np.ones(int(usable.sum()), dtype=np.int8), (tail_all[usable], head_all[usable])), shape=(n, n)
    )
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    sizes = np.bincount(labels)
    # Isolated nodes are their own components; take the biggest one that has arcs.
    biggest = int(np.argmax(sizes))
    in_component = labels == biggest
    arcs = np.flatnonzero(usable & in_component[tail_all] & in_component[head_all])
    nodes = np.flatnonzero(in_component)
    if arcs.shape[0] == 0:
        raise ValueError(f"{network.name}: no street in this map is usable by a {prof.name}")
    local = np.full(n, -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.shape[0])
    tail = local[tail_all[arcs]]
    indptr = np.zeros(nodes.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=nodes.shape[0]), out=indptr[1:])
    graph = RoutableGraph(
        network=network,
        profile=prof,
        nodes=nodes,
        arcs=arcs,
        indptr=indptr,
        tail=tail,
        head=local[head_all[arcs]],
        movement=movement[arcs],
    )
    network._views[key] = graph
    return graph


# --------------------------------------------------------------------------------------------
# Snapping
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapped:
    """Points snapped to a routable graph: the local node of each and how far it was moved."""

    node: NDArray[np.int64]
    distance_m: NDArray[np.float64]


def _kdtree(graph: RoutableGraph) -> cKDTree:
    tree = graph._cache.get("kdtree")
    if tree is None:
        tree = cKDTree(np.column_stack([graph.network.x[graph.nodes], graph.network.y[graph.nodes]]))
        graph._cache["kdtree"] = tree
    return tree


def _project(
    graph: RoutableGraph, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    transformer = graph._cache.get("transformer")
    if transformer is None:
        transformer = Transformer.from_crs("EPSG:4326", graph.network.crs, always_xy=True)
        graph._cache["transformer"] = transformer
    x, y = transformer.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def snap(graph: RoutableGraph, lonlat: ArrayLike, *, max_distance_m: float = DEFAULT_MAX_SNAP_M) -> Snapped:
    """Snap ``(lon, lat)`` points to the nearest node of ``graph`` (KD-tree on projected x/y).

    Raises :class:`PointOffNetworkError` naming the first point that is not a valid coordinate
    or lies farther than ``max_distance_m`` from every usable street.
    """
    pts = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
    lon, lat = pts[:, 0], pts[:, 1]
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PointOffNetworkError(
            i, float(lon[i]), float(lat[i]), distance_m=None, max_distance_m=max_distance_m, profile=graph.profile.name
        )
    x, y = _project(graph, lon, lat)
    distance, idx = _kdtree(graph).query(np.column_stack([x, y]))
    too_far = ~(distance <= max_distance_m)
    if too_far.any():
        i = int(np.flatnonzero(too_far)[0])
        raise PointOffNetworkError(
            i,
            float(lon[i]),
            float(lat[i]),
            distance_m=float(distance[i]),
            max_distance_m=max_distance_m,
            profile=graph.profile.name,
        )
    return Snapped(node=np.asarray(idx, dtype=np.int64), distance_m=np.asarray(distance, dtype=np.float64))


# --------------------------------------------------------------------------------------------
# Chain contraction
# --------------------------------------------------------------------------------------------


def _pass_through(graph: RoutableGraph) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """Which nodes only pass a way along, and for each arc into such a node, the arc out of it.

    A node passes along when it has exactly two distinct neighbours ``a`` and ``b`` and every
    arc in from ``a`` has exactly one matching arc out to ``b`` (and the same from ``b``): a
    shape point in the middle of a street, one-way or two-way. Memoised per graph.
    """
    cached = graph._cache.get("pass_through")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    n, tail, head, indptr = graph.n_nodes, graph.tail, graph.head, graph.indptr
    out_deg = np.diff(indptr)
    in_order = np.argsort(head, kind="stable")
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(head, minlength=n), out=in_ptr[1:])
    in_deg = np.diff(in_ptr)
    next_arc = np.full(graph.n_arcs, -1, dtype=np.int64)
    passing = np.zeros(n, dtype=bool)

    one = np.flatnonzero((out_deg == 1) & (in_deg == 1))
    o, i = indptr[one], in_order[in_ptr[one]]
    ok = head[o] != tail[i]
    passing[one[ok]] = True
    next_arc[i[ok]] = o[ok]

    two = np.flatnonzero((out_deg == 2) & (in_deg == 2))
    o1, o2 = indptr[two], indptr[two] + 1
    i1, i2 = in_order[in_ptr[two]], in_order[in_ptr[two] + 1]
    h1, h2, t1, t2 = head[o1], head[o2], tail[i1], tail[i2]
    ok = (h1 != h2) & (np.minimum(h1, h2) == np.minimum(t1, t2)) & (np.maximum(h1, h2) == np.maximum(t1, t2))
    passing[two[ok]] = True
    # The arc in from t continues on the arc out to the other neighbour.
    next_arc[i1[ok]] = np.where(h1[ok] != t1[ok], o1[ok], o2[ok])
    next_arc[i2[ok]] = np.where(h1[ok] != t2[ok], o1[ok], o2[ok])
    graph._cache["pass_through"] = (passing, next_arc)
    return passing, next_arc


@dataclass(frozen=True)
class _Contracted:
    keep: NDArray[np.int64]  #: local nodes kept, sorted
    matrix: sp.csr_matrix  #: seconds between kept nodes (indices into ``keep``)
    lengths: tuple[sp.csr_matrix, ...]  #: the summed quantities (metres, ...) of the same arcs

    def reversed(self) -> _Contracted:
        return _Contracted(
            keep=self.keep, matrix=self.matrix.T.tocsr(), lengths=tuple(q.T.tocsr() for q in self.lengths)
        )


def _quantities(graph: RoutableGraph, accumulate: NDArray[np.float64] | None) -> NDArray[np.float64]:
    """The per-arc quantities to sum along paths, one row each (metres by default)."""
    values = graph.length_m if accumulate is None else np.asarray(accumulate, dtype=np.float64)
    return values.reshape(-1, graph.n_arcs)


def _contract(
    graph: RoutableGraph, terminals: NDArray[np.int64], time_arc: NDArray[np.float64], quantities: NDArray[np.float64]
) -> _Contracted:
    """Sum every chain of pass-through nodes into one arc; ``terminals`` stay as nodes."""
    passing, next_arc = _pass_through(graph)
    kept_mask = ~passing
    kept_mask[terminals] = True
    keep = np.flatnonzero(kept_mask)

    start = np.flatnonzero(kept_mask[graph.tail])
    seconds, sums = time_arc[start].copy(), quantities[:, start].copy()
    end_node = graph.head[start].copy()
    active = np.flatnonzero(~kept_mask[end_node])
    current = start[active]
    for _ in range(graph.n_arcs):  # a chain never has more arcs than the graph
        if active.shape[0] == 0:
            break
        current = next_arc[current]
        seconds[active] += time_arc[current]
        sums[:, active] += quantities[:, current]
        end_node[active] = graph.head[current]
        still = ~kept_mask[end_node[active]]
        active, current = active[still], current[still]

    local = np.full(graph.n_nodes, -1, dtype=np.int64)
    local[keep] = np.arange(keep.shape[0])
    t, h = local[graph.tail[start]], local[end_node]
    # Parallel arcs: keep the fastest (csr_matrix would add them up).
    order = np.lexsort((seconds, h, t))
    t, h, seconds, sums = t[order], h[order], seconds[order], sums[:, order]
    first = np.ones(t.shape[0], dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    t, h, seconds, sums = t[first], h[first], seconds[first], sums[:, first]
    m = keep.shape[0]
    seconds = np.maximum(seconds, _MIN_ARC_S)
    matrix = sp.csr_matrix((seconds, (t, h)), shape=(m, m))
    lengths = tuple(sp.csr_matrix((row, (t, h)), shape=(m, m)) for row in sums)
    return _Contracted(keep=keep, matrix=matrix, lengths=lengths)


def _uncontracted(
    graph: RoutableGraph, weights: _Weights, quantities: NDArray[np.float64], *, reverse: bool = False
) -> _Contracted:
    """The graph as it is, in the contracted form (for queries from or to a few places).

    The seconds matrix (and its reverse) is memoised per weights; only the summed quantity changes.
    """
    key = f"uncontracted:{weights.key}"
    cached = graph._cache.get(key)
    if cached is None:
        times = weights.values
        order = np.lexsort((times, graph.head, graph.tail))
        t, h = graph.tail[order], graph.head[order]
        first = np.ones(t.shape[0], dtype=bool)
        first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
        n = graph.n_nodes
        matrix = sp.csr_matrix((np.maximum(times[order][first], _MIN_ARC_S), (t[first], h[first])), shape=(n, n))
        picked = order[first]  # csr keeps (tail, head) order, so data[i] belongs to arc picked[i]
        by_head = np.lexsort((t[first], h[first]))  # the same arcs in the reverse matrix's order
        cached = (matrix, matrix.T.tocsr(), picked, picked[by_head])
        graph._cache[key] = cached
    matrix, reverse_matrix, picked, picked_reverse = cached
    chosen, arcs = (reverse_matrix, picked_reverse) if reverse else (matrix, picked)
    lengths = tuple(sp.csr_matrix((row[arcs], chosen.indices, chosen.indptr), shape=chosen.shape) for row in quantities)
    return _Contracted(keep=np.arange(graph.n_nodes, dtype=np.int64), matrix=chosen, lengths=lengths)


def _parent_slots(
    pred: NDArray[np.int64], lengths: tuple[sp.csr_matrix, ...]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """For each (source, node), the arc from the node's tree parent to it, as a row of the
    returned quantities (one column per summed quantity; the last row is all zeros, for roots
    and unreached nodes). Found once for every quantity: they share the graph's arcs."""
    by_head = [q.tocsc() for q in lengths]
    first = by_head[0]
    for other in by_head[1:]:  # the same arcs in the same order: built from one (tail, head) list
        if not (np.array_equal(other.indices, first.indices) and np.array_equal(other.indptr, first.indptr)):
            raise ValueError("summed quantities must share one set of arcs")
    in_ptr, in_tail = first.indptr, first.indices
    in_deg = np.diff(in_ptr)
    nnz = in_tail.shape[0]
    slots = np.full(pred.shape, nnz, dtype=np.int64)
    for c in range(int(in_deg.max(initial=0))):
        has = c < in_deg
        slot = np.where(has, in_ptr[:-1] + c, 0)
        tail_c = np.where(has, in_tail[slot], -2)
        slots = np.where(pred == tail_c[None, :], slot[None, :], slots)
    values = np.zeros((nnz + 1, len(by_head)), dtype=np.float64)
    for i, q in enumerate(by_head):
        values[:nnz, i] = q.data
    return slots, values


def _tree_metres(
    times: NDArray[np.float64], pred: NDArray[np.int64], contracted: _Contracted
) -> list[NDArray[np.float64]]:
    """Each summed quantity from each source to every node along its fastest-path tree.

    Nodes are visited in order of arrival time, so a parent (strictly earlier: every arc takes
    at least ``_MIN_ARC_S``) is always done before its children; each step handles one node
    of every source's tree at once. Two quantities ride in one complex number (real and
    imaginary parts add independently), so the matrices' metres and walking seconds cost one
    pass; the index arrays are built directly in step order (rank-major), which saved most of
    the time of a 1,500-job round's first matrices (benchmarks/README.md, "Rounds at scale").
    """
    k, m = pred.shape
    slots, values = _parent_slots(pred, contracted.lengths)
    if k <= FEW:
        return [_jump_metres(times, pred, values[slots, q]) for q in range(values.shape[1])]
    base = (np.arange(k, dtype=np.int64) * m)[None, :]
    # node_flat[r, s]: the flat index of source s's r-th node in arrival order. Any order
    # with parents first gives the same sums (each node adds its arc to its parent's sum), and
    # parents arrive strictly earlier, so the sort need not be stable (2.4x faster, issue 20).
    node_flat = np.add(np.argsort(times, axis=1).T, base, order="C")
    parent = pred.reshape(-1)[node_flat]
    parent_flat = np.where(parent >= 0, parent + base, node_flat)  # roots and unreached add nothing
    step_slots = slots.reshape(-1)[node_flat]
    unreached = ~np.isfinite(times)
    results: list[NDArray[np.float64]] = []
    for q in range(0, values.shape[1], 2):
        pair = values[:, q] + 1j * (values[:, q + 1] if q + 1 < values.shape[1] else 0.0)
        step = pair[step_slots]  # (rank, source): complex, C order
        sums = np.zeros(k * m, dtype=np.complex128)
        for r in range(1, m):  # rank 0 is each source itself
            row = step[r]
            np.add(np.take(sums, parent_flat[r]), row, out=row)
            sums[node_flat[r]] = row
        grid = sums.reshape(k, m)
        for part in (grid.real, grid.imag)[: min(2, values.shape[1] - q)]:
            out = np.array(part, dtype=np.float64)
            out[unreached] = np.inf
            results.append(out)
    return results


def _jump_metres(
    times: NDArray[np.float64], pred: NDArray[np.int64], parent_metres: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The same sums by pointer jumping: log(depth) vectorised rounds, best for a few trees."""
    k, m = pred.shape
    me = np.broadcast_to(np.arange(m), (k, m))
    parent = np.where(pred >= 0, pred, me)
    total = np.where(pred >= 0, parent_metres, 0.0)
    while True:
        total = total + np.take_along_axis(total, parent, axis=1)
        grand = np.take_along_axis(parent, parent, axis=1)
        if np.array_equal(grand, parent):
            break
        parent = grand
    total[~np.isfinite(times)] = np.inf
    return np.asarray(total, dtype=np.float64)


def node_matrix(
    graph: RoutableGraph,
    origins: NDArray[np.int64],
    destinations: NDArray[np.int64],
    *,
    load_kg: float = 0.0,
    with_distance: bool = True,
    accumulate: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Seconds between local nodes of ``graph``, and metres along those fastest paths.

    ``accumulate`` (one value per local arc) sums that quantity along the fastest paths instead
    of metres; :func:`node_sums` sums several in one search.
    """
    if not (with_distance or accumulate is not None):
        seconds, _ = node_sums(graph, origins, destinations, load_kg=load_kg, quantities=None)
        return seconds, None
    seconds, sums = node_sums(graph, origins, destinations, load_kg=load_kg, quantities=_quantities(graph, accumulate))
    return seconds, sums[0]


def node_sums(
    graph: RoutableGraph,
    origins: NDArray[np.int64],
    destinations: NDArray[np.int64],
    *,
    load_kg: float = 0.0,
    quantities: NDArray[np.float64] | None,
    then_load_kg: float | None = None,
) -> tuple[NDArray[np.float64], list[NDArray[np.float64]]]:
    """Seconds between local nodes, and each row of ``quantities`` (per local arc) summed along
    those fastest paths, all from one search (no quantities: seconds only).

    With ``then_load_kg`` one search answers two loads (issue 20): the paths are the fastest
    with ``load_kg`` on board (ties to the millisecond broken by ``then_load_kg``), the seconds
    are summed from whole milliseconds per arc (:func:`_packed`), and the seconds of
    the same paths with ``then_load_kg`` on board come last in the sums. That is what a second
    sum along the trees would give, without its cost (a third of a 2,000-place search).
    """
    origins = np.asarray(origins, dtype=np.int64)
    destinations = np.asarray(destinations, dtype=np.int64)
    rows = np.zeros((0, graph.n_arcs)) if quantities is None else quantities.reshape(-1, graph.n_arcs)
    if then_load_kg is None:
        weights = _Weights(f"{float(load_kg)!r}", graph.arc_time_s(load_kg))
        return _node_sums(graph, origins, destinations, weights, rows)
    weights = _packed(graph, load_kg, then_load_kg)
    packed, sums = _node_sums(graph, origins, destinations, weights, rows)
    unpacked = _unpack(packed, weights.ratio)
    if unpacked is None:  # paths too long for the packing: sum the other load along the trees
        both = np.vstack([rows, graph.arc_time_s(then_load_kg)[None, :]])
        return node_sums(graph, origins, destinations, load_kg=load_kg, quantities=both)
    return unpacked[0], [*sums, unpacked[1]]


@dataclass(frozen=True)
class _Weights:
    key: str  #: names the weights in the graph's memo
    values: NDArray[np.float64]  #: per local arc
    #: Packed weights: the most milliseconds of the second load per millisecond of the first
    #: on any arc (each counted as at least 1), which bounds the second's totals.
    ratio: float = 0.0


def _packed(graph: RoutableGraph, load_kg: float, then_load_kg: float) -> _Weights:
    """Per arc, the whole milliseconds with ``load_kg`` times ``PACK_SHIFT`` plus those with
    ``then_load_kg`` (at least 1: csgraph reads zero as no arc). Sums along a path add both
    parts exactly, so Dijkstra on them finds the fastest paths at ``load_kg`` and carries the
    other load's time along. Rounding costs at most half a millisecond per arc (memoised)."""
    key = f"packed:{float(load_kg)!r}:{float(then_load_kg)!r}"
    cached = graph._cache.get(key)
    if cached is None:
        first = np.rint(graph.arc_time_s(load_kg) / PACK_UNIT_S)
        then = np.rint(graph.arc_time_s(then_load_kg) / PACK_UNIT_S)
        ratio = float((np.maximum(then, 1.0) / np.maximum(first, 1.0)).max(initial=1.0))
        cached = graph._cache[key] = _Weights(key, np.maximum(first * PACK_SHIFT + then, 1.0), ratio)
    return cached


def _unpack(packed: NDArray[np.float64], ratio: float) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """The two loads' seconds out of sums of :func:`_packed` (``inf`` where unreached), or None
    when a total might have outgrown its part: the second's total is at most ``ratio`` times
    the first's, plus a millisecond per arc under one (hence a margin of a tenth).

    ``packed`` (a search's own answer) becomes the second load's seconds: at 2,000 x 2,000
    places every new matrix costs a pass of page faults, as long as the arithmetic itself."""
    unreached = ~np.isfinite(packed)
    if unreached.any():
        packed[unreached] = 0.0
    first = np.floor(packed / PACK_SHIFT)
    if first.max(initial=0.0) * ratio >= 0.9 * PACK_SHIFT or packed.max(initial=0.0) >= 2.0**53:
        return None
    then = packed
    then -= first * PACK_SHIFT  # exact: whole numbers below 2**53
    first *= PACK_UNIT_S
    then *= PACK_UNIT_S
    if unreached.any():
        first[unreached] = np.inf
        then[unreached] = np.inf
    return first, then


def _node_sums(
    graph: RoutableGraph,
    origins: NDArray[np.int64],
    destinations: NDArray[np.int64],
    weights: _Weights,
    rows: NDArray[np.float64],
) -> tuple[NDArray[np.float64], list[NDArray[np.float64]]]:
    if np.unique(destinations).shape[0] <= FEW < np.unique(origins).shape[0]:
        # A few searches need no contraction; to a few places, search backwards from them.
        seconds_t, sums_t = _search(_uncontracted(graph, weights, rows, reverse=True), destinations, origins)
        return seconds_t.T.copy(), [x.T.copy() for x in sums_t]
    if np.unique(origins).shape[0] <= FEW:
        return _search(_uncontracted(graph, weights, rows), origins, destinations)
    contracted = _contract(graph, np.unique(np.concatenate([origins, destinations])), weights.values, rows)
    src = np.searchsorted(contracted.keep, origins)
    dst = np.searchsorted(contracted.keep, destinations)
    if np.unique(dst).shape[0] * 4 < np.unique(src).shape[0]:
        # Many origins, few destinations (times *to* a new place): search backwards from the
        # destinations on the reversed graph, one Dijkstra per destination instead of per origin.
        seconds_t, sums_t = _search(contracted.reversed(), dst, src)
        return seconds_t.T.copy(), [x.T.copy() for x in sums_t]
    return _search(contracted, src, dst)


def _search(
    contracted: _Contracted, src: NDArray[np.int64], dst: NDArray[np.int64]
) -> tuple[NDArray[np.float64], list[NDArray[np.float64]]]:
    unique_src, inverse = np.unique(src, return_inverse=True)
    if not contracted.lengths:
        times = dijkstra(contracted.matrix, directed=True, indices=unique_src)
        return times[:, dst][inverse], []
    times, pred = dijkstra(contracted.matrix, directed=True, indices=unique_src, return_predecessors=True)
    sums = [x[:, dst][inverse] for x in _tree_metres(times, pred.astype(np.int64), contracted)]
    return times[:, dst][inverse], sums


@dataclass(frozen=True)
class TravelMatrix:
    """Riding seconds and metres between snapped points, for one profile and one load."""

    seconds: NDArray[np.float64]
    metres: NDArray[np.float64] | None
    profile: str
    load_kg: float
    origins: Snapped
    destinations: Snapped


def travel_matrix(
    graph: RoutableGraph,
    origins: ArrayLike,
    destinations: ArrayLike | None = None,
    *,
    load_kg: float = 0.0,
    with_distance: bool = True,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> TravelMatrix:
    """Time (and distance) matrix between ``(lon, lat)`` points; square when no destinations.

    The times are those of the fastest path for ``graph.profile`` carrying ``load_kg``; the
    metres are along that same path. Handling time at stops is not included.
    """
    snapped_o = snap(graph, origins, max_distance_m=max_snap_m)
    snapped_d = snapped_o if destinations is None else snap(graph, destinations, max_distance_m=max_snap_m)
    seconds, metres = node_matrix(graph, snapped_o.node, snapped_d.node, load_kg=load_kg, with_distance=with_distance)
    return TravelMatrix(
        seconds=seconds,
        metres=metres,
        profile=graph.profile.name,
        load_kg=float(load_kg),
        origins=snapped_o,
        destinations=snapped_d,
    )


# --------------------------------------------------------------------------------------------
# One path, for the map
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """The fastest path between two snapped points: local arcs in order, with totals."""

    arcs: NDArray[np.int64]
    nodes: NDArray[np.int64]
    seconds: float
    metres: float


def fastest_path(graph: RoutableGraph, origin: int, destination: int, *, load_kg: float = 0.0) -> Path:
    """The fastest path between two local nodes (Dijkstra on the uncontracted graph)."""
    times = graph.arc_time_s(load_kg)
    dist, pred = dijkstra(seconds_matrix(graph, times), directed=True, indices=origin, return_predecessors=True)
    if not math.isfinite(dist[destination]):
        raise ValueError("no path between these points")  # cannot happen inside one SCC
    nodes = [destination]
    while nodes[-1] != origin:
        nodes.append(int(pred[nodes[-1]]))
    node_path = np.array(nodes[::-1], dtype=np.int64)
    arcs = _arcs_between(graph, times, node_path)
    return Path(arcs=arcs, nodes=node_path, seconds=float(times[arcs].sum()), metres=float(graph.length_m[arcs].sum()))


def seconds_matrix(graph: RoutableGraph, times: NDArray[np.float64]) -> sp.csr_matrix:
    """The graph as a CSR of seconds; of parallel arcs (csr_matrix would add them) the fastest."""
    order = np.lexsort((times, graph.head, graph.tail))
    t, h, w = graph.tail[order], graph.head[order], times[order]
    first = np.ones(t.shape[0], dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    return sp.csr_matrix((np.maximum(w[first], _MIN_ARC_S), (t[first], h[first])), shape=(graph.n_nodes, graph.n_nodes))


def street_distance_m(graph: RoutableGraph, origin: int, destination: int) -> float:
    """The shortest distance along the streets between two local nodes (for prices, not ETAs).

    The CSR of metres is built once per graph; one Dijkstra from ``origin`` then takes about a
    millisecond on the default city, where :func:`fastest_path` (timed, with the path) takes six.
    """
    lengths = graph._cache.get("metres_csr")
    if lengths is None:
        lengths = graph._cache["metres_csr"] = seconds_matrix(graph, graph.length_m)
    dist = dijkstra(lengths, directed=True, indices=origin)
    return float(dist[destination])


def _arcs_between(graph: RoutableGraph, times: NDArray[np.float64], nodes: NDArray[np.int64]) -> NDArray[np.int64]:
    arcs = np.empty(max(0, nodes.shape[0] - 1), dtype=np.int64)
    for k in range(arcs.shape[0]):
        lo, hi = graph.indptr[nodes[k]], graph.indptr[nodes[k] + 1]
        candidates = lo + np.flatnonzero(graph.head[lo:hi] == nodes[k + 1])
        arcs[k] = candidates[np.argmin(times[candidates])]
    return arcs


def path_geojson(
    graph: RoutableGraph,
    origin: tuple[float, float],
    destination: tuple[float, float],
    *,
    load_kg: float = 0.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> dict[str, Any]:
    """The fastest path between two ``(lon, lat)`` points as a GeoJSON Feature (for the map).

    Properties give the seconds and metres of the path and the metres walked (pushing the
    bike), so a person can see why a leg takes the time it takes.
    """
    snapped = snap(graph, [origin, destination], max_distance_m=max_snap_m)
    path = fastest_path(graph, int(snapped.node[0]), int(snapped.node[1]), load_kg=load_kg)
    city_nodes = graph.nodes[path.nodes]
    coordinates = [[float(graph.network.lon[n]), float(graph.network.lat[n])] for n in city_nodes]
    if len(coordinates) == 1:
        coordinates.append(coordinates[0])  # a LineString needs two positions
    walked = graph.length_m[path.arcs][graph.movement[path.arcs] != Movement.RIDE].sum()
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coordinates},
        "properties": {
            "profile": graph.profile.name,
            "load_kg": float(load_kg),
            "seconds": round(path.seconds, 1),
            "metres": round(path.metres, 1),
            "metres_walked": round(float(walked), 1),
            "snap_metres": [round(float(d), 1) for d in snapped.distance_m],
        },
    }

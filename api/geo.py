"""The city and a job's path as GeoJSON, for the console's map and the courier's next leg.

Not a router: dispatchers (api/console.py) and couriers (api/couriers.py) both draw a job's
street path, and routers do not import each other (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from dispatch.errors import InvalidInput
from dispatch.projections import JobView
from routing.matrix import PointOffNetworkError, path_geojson, routable_graph
from routing.network import BikeNetwork


def streets_geojson(network: BikeNetwork) -> dict[str, Any]:
    """The streets a bike may use, one LineString per segment (both directions drawn once)."""
    graph = routable_graph(network, "bike")
    tail, head = graph.nodes[graph.tail], graph.nodes[graph.head]
    once = tail < head
    lon, lat = network.lon, network.lat
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [
                    [round(float(lon[a]), 6), round(float(lat[a]), 6)],
                    [round(float(lon[b]), 6), round(float(lat[b]), 6)],
                ],
            },
            "properties": {},
        }
        for a, b in zip(tail[once].tolist(), head[once].tolist(), strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


class GeoJSONResponse(JSONResponse):
    """GeoJSON's own media type; a ``str`` is sent as it is (the streets are serialised once)."""

    media_type = "application/geo+json"

    def render(self, content: Any) -> bytes:
        return content.encode() if isinstance(content, str) else super().render(content)


GEOJSON_LINES = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array", "items": {"type": "object"}}},
}


def street_path(network: BikeNetwork, job: JobView, profile: str) -> dict[str, Any]:
    """A job's street path from pickup to drop-off for a vehicle profile, at the job's load."""
    request = job.request
    try:
        return path_geojson(
            routable_graph(network, profile),
            (request["pickup"]["lon"], request["pickup"]["lat"]),
            (request["dropoff"]["lon"], request["dropoff"]["lat"]),
            load_kg=job.weight_kg,
        )
    except PointOffNetworkError as exc:
        raise InvalidInput("job", exc.why, **exc.params) from None

"""The cities one process serves (issue 16): each cooperative its city, each city's streets
loaded once, on first use, and shared by every cooperative of that city.

An API worker and the planner's process each hold a :class:`Cities`. A city costs a worker its
network's arrays and the graphs and indexes built on them (figures in the README, "Run a
federation"), so no city is loaded before a cooperative of it is served; the server's own city
is loaded at start, which checks its name.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from dispatch.intake import StreetDistances
from routing.network import BikeNetwork, open_city


@dataclass
class City:
    """One city's streets and what the intake keeps about them (the service area, snapping)."""

    name: str
    network: BikeNetwork
    streets: StreetDistances = field(init=False)

    def __post_init__(self) -> None:
        self.streets = StreetDistances(self.network)


class Cities:
    """Cities by name, each loaded at most once per process, whatever the threads asking.

    A lock per name: two requests of a city being loaded wait for the one load, while a
    request of a loaded city never waits for another city's load.
    """

    def __init__(self) -> None:
        self._loaded: dict[str, City] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, name: str) -> City:
        """The city ``name`` (the default city, an imported one, or an OSM file), loading it the
        first time; ``routing.network.NetworkError`` when there is no such city."""
        city = self._loaded.get(name)
        if city is not None:
            return city
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            city = self._loaded.get(name)
            if city is None:
                city = self._loaded[name] = City(name, open_city(name))
        return city

    def __contains__(self, name: object) -> bool:
        """Whether the city ``name`` is loaded (asking never loads it)."""
        return name in self._loaded

    def loaded(self) -> list[str]:
        """The names of the cities this process holds now."""
        return sorted(self._loaded)

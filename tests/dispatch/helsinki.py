"""Places and a moment of the default city that planning tests share."""

from __future__ import annotations

from datetime import datetime

NOON = datetime.fromisoformat("2026-11-28T11:00:00+02:00")
STATION = (24.9414, 60.1710)
MARKET = (24.9525, 60.1675)
ESPLANADI = (24.9470, 60.1675)
KAMPPI = (24.9320, 60.1690)

"""What a route may ask FastAPI for: the worker's services, the caller (by role), typed query values.

One place, so that a route's signature reads the same in every router, and a new role or query
type is declared once. The roles are checked by api/auth.py (``Require``); the role-by-route test
of the HTTP tests finds them on every route.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Depends, Query
from pydantic import BeforeValidator

from api.auth import admits, analyst_or_dispatcher, any_member, client_only, courier_only, dispatcher_only
from api.schemas import MAX_SEQ
from api.services import Services, services
from dispatch.errors import InvalidInput
from dispatch.store.access import Principal

#: The worker's store, city, bus, hub and planner (api/services.py).
Svc = Annotated[Services, Depends(services)]

#: A client, by API key.
Client = Annotated[Principal, admits(client_only)]
#: A dispatcher, by login.
Dispatcher = Annotated[Principal, admits(dispatcher_only)]
#: An analyst or a dispatcher (reading, replays).
Analyst = Annotated[Principal, admits(analyst_or_dispatcher)]
#: A courier, by login (their phone).
CourierUser = Annotated[Principal, admits(courier_only)]
#: Any member of the cooperative (what every member may see: the ledger, the couriers).
Member = Annotated[Principal, admits(any_member)]

_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_day(value: object) -> object:
    """Only ``YYYY-MM-DD``: pydantic reads a bare number as a Unix time (``day=0`` was 1970)."""
    if (isinstance(value, str) and not _ISO_DAY.match(value)) or not isinstance(value, str | date):
        raise InvalidInput("day", "day_written")  # a ValueError, said in the reader's words (api/errors.py)
    return value


#: A day in a query string (``?day=2026-12-04``); anything else is a 422 that says how to write it.
IsoDay = Annotated[date, BeforeValidator(_iso_day)]
_WHOLE = re.compile(r"^[0-9]{1,9}$")


def _whole(value: object) -> object:
    """Only digits: pydantic reads ``7.0`` as 7, and a query's number that is not whole was not
    meant as that number (outside tester's finding 7)."""
    if isinstance(value, str) and not _WHOLE.match(value):
        raise InvalidInput("number", "whole_digits")
    return value


#: A whole number in a query string (``?days=7``): ``7.0``, ``1e1`` or ``seven`` are a 422.
WholeNumber = Annotated[int, BeforeValidator(_whole)]
#: A planning round's number in a query (the rotation turns with it).
RoundNumber = Annotated[int, Query(ge=0, le=MAX_SEQ)]

"""Who may call what: clients by API key, dispatchers, analysts and couriers by login token.

Every route declares the roles it admits with one of the dependencies below; the role-by-route
test (tests/api/test_auth.py) finds them on the routes and checks 401/403/allowed for each.
Credentials come as ``Authorization: Bearer ...`` (an API key ``tdm_...`` or a token
``tds_...``); clients may also send ``X-API-Key``. Sockets authenticate in their first message.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Header, Request

from api.errors import ApiError
from dispatch.store import Store
from dispatch.store.access import Principal, principal_for_api_key, principal_for_token


def store_of(request: Request) -> Store:
    return request.app.state.services.store  # type: ignore[no-any-return]


async def identify(store: Store, credential: str) -> Principal | None:
    """The principal behind an API key or a session token (None: unknown, revoked, expired)."""
    if credential.startswith("tdm_"):
        return await asyncio.to_thread(principal_for_api_key, store, credential)
    if credential.startswith("tds_"):
        return await asyncio.to_thread(principal_for_token, store, credential)
    return None


class Require:
    """A dependency admitting the given roles; ``roles`` is read by the role-by-route test."""

    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Principal:
        credential = x_api_key
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise ApiError(401, "unauthenticated", "use 'Authorization: Bearer <API key or token>'")
            credential = value.strip()
        if not credential:
            raise ApiError(401, "unauthenticated", "this needs an API key or a login token")
        who = await identify(store_of(request), credential)
        if who is None:
            raise ApiError(401, "unauthenticated", "unknown, revoked or expired credential")
        if who.role not in self.roles:
            raise ApiError(
                403, "forbidden", f"a {who.role} may not do this (it is for: {', '.join(sorted(self.roles))})"
            )
        return who


client_only = Require("client")
dispatcher_only = Require("dispatcher")
analyst_or_dispatcher = Require("dispatcher", "analyst")
courier_only = Require("courier")
any_member = Require("dispatcher", "analyst", "courier")

Client = Annotated[Principal, Depends(client_only)]
Dispatcher = Annotated[Principal, Depends(dispatcher_only)]
Analyst = Annotated[Principal, Depends(analyst_or_dispatcher)]
CourierUser = Annotated[Principal, Depends(courier_only)]
Member = Annotated[Principal, Depends(any_member)]

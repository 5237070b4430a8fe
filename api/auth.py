"""Who may call what: clients by API key, dispatchers, analysts and couriers by login token.

Every route declares the roles it admits with one of the dependencies of api/deps.py, built
on the requirements below; the role-by-route
test (tests/api/test_http.py) finds them on the routes and checks 401/403/allowed for each.
Credentials come as ``Authorization: Bearer ...`` (an API key ``tdm_...`` or a token
``tds_...``); clients may also send ``X-API-Key``. Sockets authenticate in their first message.

The credentials are declared as OpenAPI security schemes (not as plain header parameters), and
each operation's security requirement lists the roles it admits as its scopes, so that the
published schema says who may call what and a generic client (or a fuzzer) knows which
credential to send.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.services import Services
from dispatch.store.access import Principal, principal_for_api_key, principal_for_token, revocations
from dispatch.store.repository import hash_api_key

#: The scopes of an operation's security requirement are the roles it admits (any one suffices).
ROLES_NOTE = "The scopes of each operation's requirement are the roles it admits; any one of them suffices."
api_key_bearer = HTTPBearer(
    scheme_name="ApiKey",
    bearerFormat="tdm_...",
    description=f"A client's API key (`tdm_...`), given once by `tandem admin add-client`. {ROLES_NOTE}",
    auto_error=False,
)
api_key_header = APIKeyHeader(
    name="X-API-Key",
    scheme_name="ApiKeyHeader",
    description=f"The client's API key in its own header, for clients that cannot set Authorization. {ROLES_NOTE}",
    auto_error=False,
)
login_token = HTTPBearer(
    scheme_name="LoginToken",
    bearerFormat="tds_...",
    description=f"A member's token (`tds_...`) from `POST /v1/auth/login`. {ROLES_NOTE}",
    auto_error=False,
)


def services_of(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def identify(svc: Services, credential: str) -> Principal | None:
    """The principal behind an API key or a session token (None: unknown, revoked, expired).

    API keys found lately are answered from ``svc.keys`` without a database read (see
    :class:`dispatch.store.access.KnownKeys` for how long a revocation may take elsewhere);
    session tokens are looked up every time, so that logging out takes effect in every worker
    at once.
    """
    if credential.startswith("tdm_"):
        digest = hash_api_key(credential)
        known = svc.keys.get(digest)
        if known is not None:
            return known
        seen = revocations()
        who = await asyncio.to_thread(principal_for_api_key, svc.store, credential)
        if who is not None:
            svc.keys.put(digest, who, seen)
        return who
    if credential.startswith("tds_"):
        return await asyncio.to_thread(principal_for_token, svc.store, credential)
    return None


class Require:
    """A dependency admitting the given roles; ``roles`` is read by the role-by-route test.

    This base declares the members' login token; :class:`RequireClient` declares the API key.
    Both accept any credential in either place, so a wrong one gets a 403 that names the role
    needed rather than a puzzling 401.
    """

    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self, request: Request, _token: Annotated[HTTPAuthorizationCredentials | None, Security(login_token)]
    ) -> Principal:
        return await self.check(request)

    async def check(self, request: Request) -> Principal:
        credential = request.headers.get("x-api-key")
        if len(request.headers.getlist("authorization")) > 1 or len(request.headers.getlist("x-api-key")) > 1:
            raise ApiError(401, "unauthenticated", "one_authorization")
        authorization = request.headers.get("authorization")
        if credential is not None and authorization is not None:
            # Two credentials are ambiguous (which one acts?); refusing them means a valid one can
            # never carry a forged or stale other one along unnoticed.
            raise ApiError(401, "unauthenticated", "one_credential")
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise ApiError(401, "unauthenticated", "bearer_form")
            credential = value.strip()
        if not credential:
            raise ApiError(401, "unauthenticated", "credential_needed")
        who = await identify(services_of(request), credential)
        if who is None:
            raise ApiError(401, "unauthenticated", "unknown_credential")
        if who.role not in self.roles:
            raise ApiError(403, "forbidden", "wrong_role", {"role": who.role, "roles": sorted(self.roles)})
        request.state.who = who  # a refusal names the caller's jobs and colleagues (api/errors.py)
        return who


class RequireClient(Require):
    """Admits clients, who send their API key as a bearer credential or in ``X-API-Key``."""

    async def __call__(  # type: ignore[override]
        self,
        request: Request,
        _key: Annotated[HTTPAuthorizationCredentials | None, Security(api_key_bearer)],
        _header: Annotated[str | None, Security(api_key_header)],
    ) -> Principal:
        return await self.check(request)


def admits(requirement: Require) -> Any:
    """The dependency with its roles as the security requirement's scopes (read by OpenAPI)."""
    return Security(requirement, scopes=sorted(requirement.roles))


client_only = RequireClient("client")
dispatcher_only = Require("dispatcher")
analyst_or_dispatcher = Require("dispatcher", "analyst")
courier_only = Require("courier")
any_member = Require("dispatcher", "analyst", "courier")

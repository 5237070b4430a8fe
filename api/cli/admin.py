"""``tandem admin``, ``backup`` and ``restore``: setting a cooperative up and keeping its database safe.

Secrets (API keys, passwords) are printed once and only their hashes are stored; every text an
admin command writes passes the same check as the API's (dispatch/text.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import IntegrityError

from api.cli.common import DatabaseOption, JsonOption, fail, out
from dispatch.errors import DomainError
from dispatch.events import Event
from dispatch.model import Cooperative, Role, Vehicle
from dispatch.store import Store
from dispatch.store.cooperatives import derived_short_name
from dispatch.text import check_text

admin_app = typer.Typer(
    help="Set up a cooperative (its couriers, clients, dispatchers) and change it later: keys, couriers, settings.",
    no_args_is_help=True,
)


CoopOption = Annotated[str, typer.Option("--coop", help="The cooperative's id (from create-coop).")]
NameOption = Annotated[str, typer.Option("--name", help="The name people see.")]
CoopCityOption = Annotated[
    str | None,
    typer.Option(
        "--city",
        help="The city it serves: one imported with `tandem city import` (default: $TANDEM_CITY, else helsinki; "
        "pass it on a server of several cities).",
    ),
]
ShortNameOption = Annotated[
    str | None, typer.Option("--short-name", help="What members type at login (velo-lille); default: from the name.")
]


def _store(database: str | None) -> Store:
    try:
        return Store.open(database)
    except Exception as exc:  # a wrong URL or an unreachable server: say so, no traceback
        raise fail(f"cannot open the database ({exc})") from None


T = TypeVar("T")


def _acting(database: str | None, act: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """An act on the cooperative's store; a refusal becomes the CLI's one-line error."""
    try:
        return act(_store(database), *args, **kwargs)
    except DomainError as exc:
        raise fail(str(exc)) from None


def _report(as_json: bool, data: dict[str, Any], human: str) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        out.print(human)


@admin_app.command("create-coop")
def admin_create_coop(
    name: Annotated[str, typer.Argument(help="The cooperative's name.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone of the cooperative's days.")] = "Europe/Helsinki",
    heavy_threshold_kg: Annotated[float, typer.Option(help="A job this heavy counts as heavy in the ledger.")] = 25.0,
    fairness_weight: Annotated[float, typer.Option(help="0 = pure efficiency; the members decide.")] = 0.5,
    fairness_riding_budget: Annotated[
        float | None,
        typer.Option(help="At most this share of riding added to share the work (0.05: +5 %); unset: no bound."),
    ] = None,
    city: CoopCityOption = None,
    short_name: ShortNameOption = None,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a cooperative (a tenant) in its city and print its id and short name."""
    if fairness_riding_budget is not None and not 0 <= fairness_riding_budget <= 1:
        raise fail("--fairness-riding-budget must be between 0 and 1 (0.05: at most +5 % riding)")
    served, source = _coop_city(city)
    short = short_name if short_name is not None else derived_short_name(name)
    store = _store(database)
    try:
        check_text("name", name)
        coop = store.create_cooperative(
            name,
            timezone=timezone,
            heavy_threshold_kg=heavy_threshold_kg,
            fairness_weight=fairness_weight,
            settings={} if fairness_riding_budget is None else {"fairness_riding_budget": fairness_riding_budget},
            city=served,
            short_name=short,
        )
    except DomainError as exc:  # a short name made from the name: say how to choose another
        hint = short_name is None and getattr(exc, "field", None) == "short_name"
        raise fail(f"{exc}{'; choose one with --short-name' if hint else ''}") from None
    except IntegrityError:  # another cooperative took the short name at the same moment
        raise fail(f"the short name {short!r} was just taken; choose one with --short-name") from None
    _report(
        as_json,
        {
            "id": coop.id,
            "name": coop.name,
            "short_name": short,
            "city": served,
            "city_from": source,
            "timezone": coop.timezone,
            "heavy_threshold_kg": coop.heavy_threshold_kg,
            "fairness_weight": coop.fairness_weight,
        },
        f"cooperative [bold]{coop.name}[/] created in {served}: id {coop.id}, short name {short}" + _city_said(source),
    )


def _coop_city(city: str | None) -> tuple[str, str]:
    """The city a new cooperative serves and where that came from: ``city`` when it is the
    default city or an imported one, else the server's city (``TANDEM_CITY``), else the default
    city. Said back by create-coop, since a shell without ``TANDEM_CITY`` gives the default."""
    import os

    from routing.network import DEFAULT_CITY

    if city is not None:
        return _known_city(city), "option"
    env = os.environ.get("TANDEM_CITY", "").strip()
    return (env, "TANDEM_CITY") if env else (DEFAULT_CITY, "default")


def _city_said(source: str) -> str:
    """Where create-coop took the city from, when no --city said it."""
    if source == "option":
        return ""
    said = "from TANDEM_CITY" if source == "TANDEM_CITY" else "the default city: no --city, no TANDEM_CITY"
    return f"\nthe city is {said}; on a server of several cities pass --city, or change it with `tandem admin set-city`"


def _known_city(city: str) -> str:
    """``city`` when this server can open it (the default city or an imported one); else the
    CLI's error listing those it can."""
    from routing.network import DEFAULT_CITY, imported_cities

    known = [DEFAULT_CITY, *imported_cities()]
    if city not in known:
        raise fail(f"--city: no city named {city!r}; known: {', '.join(known)} (import one with `tandem city import`)")
    return city


@admin_app.command("set-city")
def admin_set_city(
    coop: Annotated[str, typer.Option("--coop", help="The cooperative's id or short name.")],
    city: Annotated[str, typer.Option("--city", help="The city it serves: one imported with `tandem city import`.")],
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change the city a cooperative serves (one created in the wrong city, or moved); recorded
    in its log. Refused while any of its jobs is not yet delivered, failed or cancelled."""
    from dispatch.store.access import cli_actor
    from dispatch.store.cooperatives import change_city, resolve_cooperative

    served = _known_city(city)
    store = _store(database)
    with store.engine.connect() as conn:
        coop_id = resolve_cooperative(conn, coop)
    if coop_id is None:
        raise fail(f"--coop: no cooperative with the id or short name {coop!r}")
    try:
        done = change_city(store, coop_id, served, by=cli_actor())
    except DomainError as exc:
        raise fail(str(exc)) from None
    if done.open_jobs:
        raise fail(
            f"cooperative {coop} still has {done.open_jobs} job(s) not delivered, failed or cancelled, placed on "
            f"the streets of {done.before}; nothing changed: set the city once they are settled (or cancelled)"
        )
    seq = None if done.event is None else done.event.seq
    said = (
        f"cooperative {coop} already serves {served}; nothing changed"
        if done.event is None
        else f"cooperative {coop} now serves {served} (was {done.before}; log seq {seq}); restart `tandem serve` "
        "for its API workers to quote and map on the new streets"
    )
    _report(as_json, {"cooperative_id": coop_id, "city": served, "was": done.before, "seq": seq}, said)


@admin_app.command("add-courier")
def admin_add_courier(
    coop: CoopOption,
    name: NameOption,
    vehicle: Annotated[str, typer.Option(help="bike, cargo_bike, e_cargo_bike or trailer.")] = "bike",
    payload_kg: Annotated[float | None, typer.Option(help="Default: the vehicle kind's.")] = None,
    volume_l: Annotated[float | None, typer.Option(help="Default: the vehicle kind's.")] = None,
    max_length_cm: Annotated[float | None, typer.Option(help="Default: the vehicle kind's.")] = None,
    contact: Annotated[str, typer.Option(help="A phone number or other way to reach them.")] = "",
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a courier: a name, a vehicle, a contact. Nothing else is kept about them."""
    store = _store(database)
    try:
        check_text("name", name)
        check_text("contact", contact)
        v = Vehicle.of_kind(vehicle, payload_kg=payload_kg, volume_l=volume_l, max_length_cm=max_length_cm)  # type: ignore[arg-type]
        courier = store.add_courier(coop, name, v, contact=contact)
    except DomainError as exc:
        raise fail(str(exc)) from None
    _report(
        as_json,
        {
            "id": courier.id,
            "cooperative_id": coop,
            "display_name": courier.display_name,
            "vehicle": {
                "kind": v.kind.value,
                "payload_kg": v.payload_kg,
                "volume_l": v.volume_l,
                "max_length_cm": v.max_length_cm,
            },
        },
        f"courier [bold]{courier.display_name}[/] ({v.kind.value}) added: id {courier.id}",
    )


@admin_app.command("add-client")
def admin_add_client(
    coop: CoopOption,
    name: NameOption,
    solidarity: Annotated[bool, typer.Option(help="Eligible for the solidarity tariff.")] = False,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a client and print its API key, once: only a hash of it is kept."""
    store = _store(database)
    try:
        check_text("name", name)
        client, key = store.add_client(coop, name, solidarity=solidarity)
    except DomainError as exc:
        raise fail(str(exc)) from None
    _report(
        as_json,
        {"id": client.id, "cooperative_id": coop, "name": client.name, "solidarity": solidarity, "api_key": key},
        f"client [bold]{client.name}[/] added: id {client.id}\nAPI key (shown once, keep it safe): {key}",
    )


def _add_member(role: Role, coop: str, name: str, login: str, database: str | None, as_json: bool) -> None:
    store = _store(database)
    try:
        check_text("name", name)
        check_text("login", login, identifier=True)
        member, secret = store.add_member(coop, role, name, login)
    except DomainError as exc:
        raise fail(str(exc)) from None
    _report(
        as_json,
        {
            "id": member.id,
            "cooperative_id": coop,
            "role": role.value,
            "display_name": name,
            "login": login,
            "password": secret,
        },
        f"{role.value} [bold]{name}[/] added: login {login}\npassword (shown once): {secret}",
    )


LoginOption = Annotated[str, typer.Option("--login", help="The name they log in with.")]


@admin_app.command("add-dispatcher")
def admin_add_dispatcher(
    coop: CoopOption, name: NameOption, login: LoginOption, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """Add a dispatcher and print a generated password, once."""
    _add_member(Role.DISPATCHER, coop, name, login, database, as_json)


@admin_app.command("add-analyst")
def admin_add_analyst(
    coop: CoopOption, name: NameOption, login: LoginOption, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """Add an analyst (replays and reports) and print a generated password, once."""
    _add_member(Role.ANALYST, coop, name, login, database, as_json)


@admin_app.command("courier-login")
def admin_courier_login(
    coop: CoopOption,
    courier: Annotated[str, typer.Option("--courier", help="The courier's id (add-courier prints it).")],
    login: LoginOption,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give a courier a login for the phone page at /courier/ and print a password, once."""
    from dispatch.store.access import set_courier_login

    store = _store(database)
    try:
        check_text("login", login, identifier=True)
        secret = set_courier_login(store, coop, courier, login)
    except DomainError as exc:
        raise fail(str(exc)) from None
    _report(
        as_json,
        {"courier_id": courier, "cooperative_id": coop, "login": login, "password": secret},
        f"courier login [bold]{login}[/] set\npassword (shown once): {secret}",
    )


ClientOption = Annotated[str, typer.Option("--client", help="The client's id (add-client prints it).")]
CourierOption = Annotated[str, typer.Option("--courier", help="The courier's id (add-courier prints it).")]


@admin_app.command("revoke-key")
def admin_revoke_key(
    coop: CoopOption, client: ClientOption, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """Revoke a client's API key (a running server refuses it within 2 s); recorded in the log."""
    from dispatch.store.access import cli_actor, revoke_client_key

    event = _acting(database, revoke_client_key, coop, client, by=cli_actor())
    _report(
        as_json,
        {"client_id": client, "cooperative_id": coop, "revoked": True, "seq": event.seq},
        f"the API key of client {client} is revoked (log seq {event.seq})",
    )


@admin_app.command("rotate-key")
def admin_rotate_key(
    coop: CoopOption, client: ClientOption, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """Give a client a new API key and print it, once; the old one stops working (within 2 s)."""
    from dispatch.store.access import cli_actor, rotate_client_key

    store = _store(database)
    try:
        key, event = rotate_client_key(store, coop, client, by=cli_actor())
    except DomainError as exc:
        raise fail(str(exc)) from None
    _report(
        as_json,
        {"client_id": client, "cooperative_id": coop, "api_key": key, "seq": event.seq},
        f"client {client} has a new API key (shown once, keep it safe): {key}",
    )


MemberLoginOption = Annotated[str, typer.Option("--login", help="The login of the dispatcher or analyst.")]


@admin_app.command("revoke-login")
def admin_revoke_login(
    coop: CoopOption, login: MemberLoginOption, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """End a dispatcher's or analyst's sessions (their sockets close within a second) and refuse
    their login from now on; reset-password reinstates it. Recorded in the log."""
    from dispatch.store.access import cli_actor, revoke_member_login

    event = _acting(database, revoke_member_login, coop, login, by=cli_actor())
    _report(
        as_json,
        {
            "member_id": event.payload["member_id"],
            "cooperative_id": coop,
            "login": login,
            "revoked": True,
            "seq": event.seq,
        },
        f"the login {login} is revoked and its sessions ended (log seq {event.seq})",
    )


@admin_app.command("reset-password")
def admin_reset_password(
    coop: CoopOption, login: MemberLoginOption, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """Give a dispatcher or analyst a new password and print it, once: a revoked login is
    reinstated, the old password's sessions end. Recorded in the log."""
    from dispatch.store.access import cli_actor, reset_member_password

    secret, event = _acting(database, reset_member_password, coop, login, by=cli_actor())
    _report(
        as_json,
        {
            "member_id": event.payload["member_id"],
            "cooperative_id": coop,
            "login": login,
            "password": secret,
            "seq": event.seq,
        },
        f"login {login} has a new password (shown once): {secret}",
    )


NowOption = Annotated[
    str | None, typer.Option("--now", help="Purge as of this time (ISO 8601 with a zone); default: now.")
]


def _moment(now: str | None) -> datetime:
    """``--now`` as an aware time (default: now), or a clear refusal."""
    try:
        moment = datetime.now(UTC) if now is None else datetime.fromisoformat(now)
    except ValueError:
        raise fail(f"--now: {now!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise fail("--now needs a time zone (e.g. 2026-12-05T03:00:00+00:00)")
    return moment


@admin_app.command("purge-proofs")
def admin_purge_proofs(
    database: DatabaseOption = None,
    proof_url: Annotated[
        str | None, typer.Option("--proof-url", help="Where the proof files are (default: TANDEM_PROOF_URL).")
    ] = None,
    retention_days: Annotated[
        float | None,
        typer.Option(
            "--retention-days", min=0.0, help="Keep this many days (default: TANDEM_PROOF_RETENTION_DAYS, 90)."
        ),
    ] = None,
    now: NowOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete proof-of-delivery photos and signatures past the retention, and forget recipients'
    names; their references stay and say "purged". A running server also does it every hour."""
    from datetime import timedelta

    from api.settings import Settings
    from dispatch.store import proofs

    settings = Settings()
    moment = _moment(now)
    days = settings.proof_retention_days if retention_days is None else retention_days
    files = proofs.ProofFiles(settings.proof_url if proof_url is None else proof_url)
    from dispatch.store.access import cli_actor

    count = proofs.purge(_store(database), files, now=moment, retention=timedelta(days=days), actor=cli_actor())
    _report(
        as_json,
        {"purged": count, "retention_days": days, "before": (moment - timedelta(days=days)).isoformat()},
        f"{count} proofs older than {days:g} days purged",
    )


@admin_app.command("purge-declines")
def admin_purge_declines(
    coop: Annotated[str | None, typer.Option("--coop", help="Only this cooperative (default: every one).")] = None,
    now: NowOption = None,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forget the free-text reasons of declines past each cooperative's retention (its setting
    decline_reason_retention_days, default 30) on jobs no longer open; the declines stay, their
    reason null. A running server also does it every hour."""
    from dispatch.store import declines
    from dispatch.store.access import cli_actor

    moment = _moment(now)
    try:
        purged = declines.purge(_store(database), now=moment, coop_id=coop, actor=cli_actor())
    except DomainError as exc:
        raise fail(str(exc)) from None
    total = sum(purged.values())
    _report(as_json, {"purged": total, "cooperatives": purged}, f"{total} decline reasons past their retention purged")


@admin_app.command("deactivate-courier")
def admin_deactivate_courier(
    coop: CoopOption,
    courier: CourierOption,
    reason: Annotated[str, typer.Option("--reason", help="Why they leave (the log keeps it).")],
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """A courier who left: no new work, no login, their sockets closed; their history stays.

    Their jobs not yet picked up go back to the open queue, parcels on board are flagged for a
    handover, their shift ends.
    """
    from dispatch.store.access import cli_actor, deactivate_courier

    done = _acting(database, deactivate_courier, coop, courier, by=cli_actor(), reason=reason)
    _report(
        as_json,
        {
            "courier_id": courier,
            "cooperative_id": coop,
            "active": False,
            "seq": done.events[-1].seq,
            "returned": done.returned,
            "on_board": done.on_board,
            "shift_ended": done.shift_ended,
        },
        f"courier {courier} deactivated (log seq {done.events[-1].seq}); "
        f"{len(done.returned)} job(s) back in the queue, {len(done.on_board)} parcel(s) on board to hand over",
    )


@admin_app.command("reactivate-courier")
def admin_reactivate_courier(
    coop: CoopOption, courier: CourierOption, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """A courier back in the cooperative: listed, planned for once on shift, able to log in."""
    from dispatch.store.access import cli_actor, reactivate_courier

    event = _acting(database, reactivate_courier, coop, courier, by=cli_actor())
    _report(
        as_json,
        {"courier_id": courier, "cooperative_id": coop, "active": True, "seq": event.seq},
        f"courier {courier} is active again (log seq {event.seq})",
    )


@admin_app.command("erase-courier")
def admin_erase_courier(
    coop: CoopOption,
    courier: CourierOption,
    reason: Annotated[str, typer.Option("--reason", help="On what grounds (their request, its date): logged.")],
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a departed courier's personal data (the right to erasure): name, contact, login,
    positions, their own words in the log. The facts (jobs done, minutes worked) stay under their
    id. Refused while they hold jobs or are on shift. Recorded in the log."""
    from dispatch.store.access import cli_actor
    from dispatch.store.erasure import erase_courier

    done = _acting(database, erase_courier, coop, courier, by=cli_actor(), reason=reason)
    _report(
        as_json,
        {**done.to_json(), "cooperative_id": coop},
        f"courier {courier} erased: now {done.label!r}; {done.positions_deleted} position(s) deleted, "
        f"{done.events_redacted} event(s) redacted (log seq {done.event.seq})"
        + ("" if done.journaled else "; the erasure journal was NOT written (see the error logged above)"),
    )


def _bands(option: str, text: str | None) -> list[list[Any]] | None:
    """``2:0,5:300,10:700,inf:1200`` (up to km or kg : cents) as the tariff's bands."""
    if text is None:
        return None
    bands: list[list[Any]] = []
    for part in text.split(","):
        up, sep, cents = part.strip().partition(":")
        try:
            if not sep:
                raise ValueError
            bands.append([None if up.strip().lower() in ("inf", "") else float(up), int(cents)])
        except ValueError:
            raise fail(f"{option}: write bands as UP_TO:CENTS separated by commas, the last UP_TO inf") from None
    return bands


RetentionDaysOption = Annotated[
    int | None,
    typer.Option(
        "--decline-reason-retention-days", help="Days a decline's free-text reason is kept once its job is settled."
    ),
]


@admin_app.command("settings")
def admin_settings(
    coop: CoopOption,
    fairness_weight: Annotated[float | None, typer.Option(help="0 = pure efficiency; the members decide.")] = None,
    riding_budget: Annotated[
        float | None, typer.Option(help="At most this share of riding added to share the work (0.05: +5 %).")
    ] = None,
    no_riding_budget: Annotated[bool, typer.Option(help="No bound on riding: the weight alone decides.")] = False,
    currency: Annotated[str | None, typer.Option(help="ISO 4217 code of the tariff (EUR, CHF...).")] = None,
    base_cents: Annotated[int | None, typer.Option(help="Base fare, in cents.")] = None,
    distance_bands: Annotated[
        str | None, typer.Option(help="Price per distance: UP_TO_KM:CENTS,..., the last inf (2:0,5:300,inf:900).")
    ] = None,
    weight_bands: Annotated[
        str | None, typer.Option(help="Price per weight: UP_TO_KG:CENTS,..., the last inf (10:0,25:200,inf:800).")
    ] = None,
    express_percent: Annotated[int | None, typer.Option(help="Surcharge for express, in %.")] = None,
    solidarity_percent: Annotated[int | None, typer.Option(help="Reduction for solidarity clients, in %.")] = None,
    repricing: Annotated[
        str | None,
        typer.Option(
            help="A parcel found heavier than declared at pickup: none (the quoted price stands) or requote "
            "(priced again with the weight found, the new quote recorded beside the old)."
        ),
    ] = None,
    keep_days: RetentionDaysOption = None,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or change the cooperative's fairness weight, riding budget, tariff, repricing rule and
    decline reasons' retention; a change is recorded in the log and used by the next planning
    round and the next quote."""
    from dispatch.store.access import UNCHANGED, change_settings, cli_actor

    if riding_budget is not None and no_riding_budget:
        raise fail("give --riding-budget or --no-riding-budget, not both")
    tariff = {
        "currency": currency,
        "base_cents": base_cents,
        "distance_bands_km": _bands("--distance-bands", distance_bands),
        "weight_bands_kg": _bands("--weight-bands", weight_bands),
        "express_percent": express_percent,
        "solidarity_percent": solidarity_percent,
    }
    store = _store(database)
    try:
        coop_now, event = change_settings(
            store,
            coop,
            by=cli_actor(),
            fairness_weight=UNCHANGED if fairness_weight is None else fairness_weight,
            riding_budget=None if no_riding_budget else UNCHANGED if riding_budget is None else riding_budget,
            tariff={k: v for k, v in tariff.items() if v is not None} or None,
            repricing=UNCHANGED if repricing is None else repricing,
            **({} if keep_days is None else {"decline_reason_retention_days": keep_days}),
        )
    except DomainError as exc:
        raise fail(str(exc)) from None
    _report_settings(as_json, coop_now, event)


def _report_settings(as_json: bool, coop: Cooperative, event: Event | None) -> None:
    from dispatch.intake import tariff_of
    from dispatch.pricing import repricing_rule
    from dispatch.store import declines

    changed = sorted(event.payload["changes"]) if event else []
    data: dict[str, Any] = {
        "cooperative_id": coop.id,
        "fairness_weight": coop.fairness_weight,
        "fairness_riding_budget": coop.settings.get("fairness_riding_budget"),
        "tariff": tariff_of(coop).to_json(),
        "repricing": repricing_rule(coop.settings),
        "decline_reason_retention_days": declines.retention_days(coop.settings),
        "changed": changed,
        "seq": event.seq if event else None,
    }
    said = f"changed {', '.join(changed)} (log seq {event.seq})" if event else "nothing changed"
    shown = ("fairness_weight", "fairness_riding_budget", "tariff", "repricing", "decline_reason_retention_days")
    now = {k: data[k] for k in shown}
    _report(as_json, data, f"{said}\n{json.dumps(now)}")


def backup_command(
    destination: Annotated[Path, typer.Argument(help="File to write the backup to.")],
    database: DatabaseOption = None,
) -> None:
    """Back the database up while the server runs (SQLite: online backup; PostgreSQL: pg_dump)."""
    from dispatch.store.backup import backup

    try:
        written = backup(database, destination)
    except DomainError as exc:
        raise fail(str(exc)) from None
    out.print(f"backup written to {written} ({written.stat().st_size:,} bytes)")


def restore_command(
    source: Annotated[Path, typer.Argument(help="A backup written by `tandem backup`.")],
    database: DatabaseOption = None,
    replace: Annotated[bool, typer.Option(help="Overwrite a database that already holds cooperatives.")] = False,
) -> None:
    """Restore a backup into an empty database (stop the server first)."""
    from dispatch.store.backup import restore

    try:
        erased = restore(source, database, replace=replace)
    except DomainError as exc:
        raise fail(str(exc)) from None
    again = f"; {len(erased)} courier(s) erased since this backup erased again" if erased else ""
    out.print(f"restored {source}{again}")

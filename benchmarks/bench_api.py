"""The API under load: delivery creations per second, and event broadcast to many courier sockets.

A real ``tandem serve`` process (one worker) on this machine, driven by httpx and websockets
clients from this process (so the two share the machine's cores: an honest lower bound).

1. **Creations**: ``--requests`` POST /v1/deliveries from ``--concurrency`` concurrent clients,
   on SQLite and, when ``DATABASE_URL`` names PostgreSQL, on PostgreSQL: rate, p50, p99, and the
   server's CPU time per creation (``cpu_ms``: the worker's user + system time over the run, from
   /proc; unlike the rate it hardly moves when other work shares the machine, so it is the figure
   to compare changes by on a busy machine).
2. **Broadcast**: ``--sockets`` courier sockets (200 and 1000) all held by one courier's
   sessions, so that every socket must receive every event of that courier (the worst case of
   fan-out); a control socket pauses and resumes the shift; latency from the act being sent to
   each socket receiving the event, p50 and p99 over every (event, socket) pair.
3. **During planning**: creations again while planning rounds over ``--open-jobs`` open jobs run
   back to back in the planner process; p99 against the p99 without planning.

    python -m benchmarks.bench_api                # SQLite, then PostgreSQL if DATABASE_URL is set
    python -m benchmarks.bench_api --quick        # fewer requests and sockets, for a smoke run
    python -m benchmarks.bench_api --only-creations --no-save   # step 1 on SQLite alone, no file
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import secrets
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from websockets.asyncio.client import connect

from benchmarks import results_io
from dispatch import commands
from dispatch.store import Store
from dispatch.store.repository import hash_api_key
from dispatch.store.schema import SessionRow
from tests.api.harness import Server, delivery_body, login, make_world

RESULTS = Path(__file__).parent / "results" / "api.json"


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (None without a pid or /proc)."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name (which may hold spaces, hence the split at its ")"):
    # utime and stime are the 14th and 15th fields of the line, in clock ticks.
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class RawHttp:
    """One bare HTTP/1.1 keep-alive connection: a load generator that costs little CPU.

    httpx spends about 2 ms of CPU per request, which on this 2-core machine takes a core from
    the server it measures at a few hundred requests per second. This writes the request bytes
    and reads the answer by its Content-Length (or chunks), and nothing else.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, base: str) -> RawHttp:
        url = httpx.URL(base)
        reader, writer = await asyncio.open_connection(url.host, url.port)
        return cls(reader, writer, f"{url.host}:{url.port}")

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{head}\r\n".encode()
            + body
        )
        status_line, _, header_block = (await self.reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
        fields = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in header_block.split(b"\r\n"))
        }
        if b"content-length" in fields:
            return int(status_line.split()[1]), await self.reader.readexactly(int(fields[b"content-length"]))
        chunks = []
        while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        await self.reader.readexactly(2)
        return int(status_line.split()[1]), b"".join(chunks)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def creations(
    base: str, key: str, n: int, concurrency: int, client: str = "raw", pid: int | None = None
) -> dict[str, Any]:
    """``client``: "raw" (:class:`RawHttp`) or "httpx" (the numbers before the load generator
    was made cheap; the server is the same). ``pid``: the server process whose CPU time to read."""
    latencies: list[float] = []
    bodies = iter(range(n))
    run = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as pool:

        async def worker() -> None:
            raw = await RawHttp.open(base) if client == "raw" else None
            try:
                for i in bodies:
                    body = delivery_body(weight_kg=1 + i % 20)
                    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"{run}-{i}"}
                    started = time.perf_counter()
                    if raw is not None:
                        status, text = await raw.post("/v1/deliveries", json.dumps(body).encode(), headers)
                    else:
                        r = await pool.post("/v1/deliveries", json=body, headers=headers)
                        status, text = r.status_code, r.content
                    latencies.append(time.perf_counter() - started)
                    assert status == 201, text
            finally:
                if raw is not None:
                    await raw.close()

        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu_after = cpu_seconds(pid)
    cpu = None if cpu_before is None or cpu_after is None else round(1000 * (cpu_after - cpu_before) / n, 2)
    return {
        "requests": n,
        "concurrency": concurrency,
        "client": client,
        "per_s": round(n / elapsed, 1),
        "p50_ms": round(1000 * pct(latencies, 50), 1),
        "p99_ms": round(1000 * pct(latencies, 99), 1),
        "cpu_ms": cpu,
    }


def sessions_for(url: str, coop_id: str, courier_id: str, n: int) -> list[str]:
    """Session tokens written straight into the store (n logins would only measure scrypt)."""
    store = Store.open(url)
    tokens = ["tds_" + secrets.token_urlsafe(32) for _ in range(n)]
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(
            insert(SessionRow),
            [
                {
                    "token_hash": hash_api_key(t),
                    "cooperative_id": coop_id,
                    "role": "courier",
                    "subject_id": courier_id,
                    "created_at": now,
                    "expires_at": now + timedelta(hours=2),
                    "revoked_at": None,
                }
                for t in tokens
            ],
        )
    store.close()
    return tokens


async def broadcast(ws_url: str, tokens: list[str], control_token: str, rounds: int) -> dict[str, float]:
    received: dict[int, list[float]] = {}
    ready = 0

    async def listen(token: str) -> None:
        nonlocal ready
        async with connect(f"{ws_url}/v1/courier/ws", open_timeout=60, max_queue=None) as ws:
            await ws.send(json.dumps({"type": "hello", "token": token, "last_seq": 10**9}))
            json.loads(await ws.recv())
            ready += 1
            while True:
                message = json.loads(await ws.recv())
                if message.get("type") == "event":
                    received.setdefault(message["seq"], []).append(time.perf_counter())

    listeners = [asyncio.create_task(listen(t)) for t in tokens]
    while ready < len(tokens):
        await asyncio.sleep(0.1)
        for task in listeners:
            if task.done() and task.exception():
                raise task.exception()  # type: ignore[misc]
    latencies: list[float] = []
    # The load generator's own full collections (1,000 sockets' objects) are not the server's
    # latency: none while measuring.
    gc.collect()
    gc.disable()
    async with connect(f"{ws_url}/v1/courier/ws", open_timeout=60) as control:
        await control.send(json.dumps({"type": "hello", "token": control_token, "last_seq": 10**9}))
        await control.recv()
        for i in range(rounds):
            kind = "shift_pause" if i % 2 == 0 else "shift_resume"
            sent = time.perf_counter()
            await control.send(json.dumps({"type": kind, "id": f"{kind}-{i}-{uuid.uuid4().hex[:6]}"}))
            seq = None
            while seq is None:
                message = json.loads(await control.recv())
                if message.get("type") == "result":
                    seq = message["seq"]
                elif message.get("type") == "error":
                    raise RuntimeError(message)
            deadline = time.monotonic() + 30
            while len(received.get(seq, [])) < len(tokens) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            got = received.get(seq, [])
            if len(got) < len(tokens):
                raise RuntimeError(f"only {len(got)} of {len(tokens)} sockets got event {seq}")
            latencies.extend(t - sent for t in got)
            await asyncio.sleep(0.2)
    gc.enable()
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    return {
        "sockets": len(tokens),
        "events": rounds,
        "p50_ms": round(1000 * pct(latencies, 50), 1),
        "p99_ms": round(1000 * pct(latencies, 99), 1),
    }


async def during_planning(
    server: Server, world: Any, n: int, concurrency: int, open_jobs: int, load: str
) -> dict[str, Any]:
    """Creations while the planner works (a round starts after every few requests)."""
    desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
        stop = asyncio.Event()
        rounds = 0

        async def keep_planning() -> None:
            nonlocal rounds
            while not stop.is_set():
                r = await client.post("/v1/planning/rounds?wait=true", headers={"Authorization": f"Bearer {desk}"})
                assert r.status_code in (200, 202), r.text
                rounds += r.status_code == 200

        planner = asyncio.create_task(keep_planning())
        await asyncio.sleep(1.0)
        result = await creations(server.url, world.client_key, n, concurrency, load, server.pid)
        stop.set()
        await planner
    return {**result, "open_jobs_at_start": open_jobs, "planning_rounds_completed": rounds}


def run_backend(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    world = make_world(url)
    out: dict[str, Any] = {"backend": label}
    # One API key sends all the load here, where a cooperative has many clients: no rate limits.
    server = Server(
        url,
        auto_plan="0",
        planning_budget_s=str(args.budget),
        rate_limit_api_key="off",
        rate_limit_session="off",
        workers=str(args.workers),
        **({"redis_url": os.environ["REDIS_URL"]} if args.workers > 1 else {}),
    ).start()
    try:
        asyncio.run(creations(server.url, world.client_key, 50, args.concurrency, args.client))  # warm up
        out["creations"] = asyncio.run(
            creations(server.url, world.client_key, args.requests, args.concurrency, args.client, server.pid)
        )
        print(f"{label}: creations {out['creations']}")
        if label == "sqlite" and not args.only_creations:
            store = Store.open(url)
            now = datetime.now(UTC)
            for cid, _, _ in world.couriers.values():
                commands.start_shift(store, world.coop_id, cid, at=now)
            more = Store.open(url)
            for i in range(8):  # a fleet for the planner: 10 couriers in all
                from dispatch.model import Vehicle

                c = more.add_courier(world.coop_id, f"Rider {i}", Vehicle.of_kind("bike" if i % 2 else "cargo_bike"))
                commands.start_shift(more, world.coop_id, c.id, at=now)
            more.close()
            open_jobs = len(store.jobs(world.coop_id))
            store.close()
            out["during_planning"] = asyncio.run(
                during_planning(server, world, args.requests // 2, args.concurrency, open_jobs, args.client)
            )
            print(f"{label}: creations during planning {out['during_planning']}")
            aino = world.couriers["Aino"][0]
            out["broadcast"] = []
            for n in args.sockets:
                tokens = sessions_for(url, world.coop_id, aino, n + 1)
                result = asyncio.run(broadcast(server.ws_url, tokens[:n], tokens[n], args.rounds))
                out["broadcast"].append(result)
                print(f"{label}: broadcast {result}")
    finally:
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sockets", default="200,1000")
    parser.add_argument("--rounds", type=int, default=20, help="broadcast events per socket count")
    parser.add_argument("--budget", type=float, default=2.0, help="planning budget (s) during the planning run")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="API worker processes (above 1 needs REDIS_URL)")
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw", help="load generator (httpx costs ~2 ms CPU a request)"
    )
    parser.add_argument("--only-creations", action="store_true", help="SQLite creations only (no planning, sockets)")
    parser.add_argument("--no-save", action="store_true", help=f"print only; leave {RESULTS.name} as it is")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds, args.sockets = 300, 5, "50"
    args.sockets = [int(s) for s in str(args.sockets).split(",")]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        runs.append(run_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args))
    pg = os.environ.get("DATABASE_URL", "")
    if pg.startswith("postgresql") and not args.only_creations:
        runs.append(run_backend("postgresql", pg, args))
    print()
    print(f"{'backend':<11} {'creations/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms':>8}")
    for r in runs:
        c = r["creations"]
        print(f"{r['backend']:<11} {c['per_s']:>12} {c['p50_ms']:>8} {c['p99_ms']:>8} {c['cpu_ms']!s:>8}")
    s = runs[0]
    if "during_planning" in s:
        d = s["during_planning"]
        print(
            f"sqlite during planning: {d['per_s']}/s p50 {d['p50_ms']} ms p99 {d['p99_ms']} ms "
            f"({d['planning_rounds_completed']} rounds)"
        )
    for b in s.get("broadcast", []):
        print(
            f"broadcast to {b['sockets']} sockets: p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms over {b['events']} events"
        )
    if args.no_save:
        return
    results_io.write(
        RESULTS,
        {
            "benchmark": "api",
            "settings": dict(vars(args)),
            "runs": runs,
            "targets": {"creations_per_s": 300, "creation_p99_ms": 100, "broadcast_1000_p99_ms": 250},
        },
    )


if __name__ == "__main__":
    main()

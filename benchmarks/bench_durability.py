"""Durability at scale: deliveries through repeated SIGKILLs, and a reconnect storm of many sockets.

The tests in ``tests/api/test_durability.py`` meet each behaviour once, small (one or two kills,
a hundred sockets), to keep ``make test`` short; this runs the same functions at the scale they
used to run at, with the same checks (every delivery that got an answer exists exactly once, no
gap in the log, the folded log equals the stored state; every resumed socket gets exactly the
events it missed), and records how long each took:

* ``--kills`` (4) SIGKILLs and restarts of a real ``tandem serve`` under 16 concurrent clients,
  ``--spacing`` (80) deliveries apart, on SQLite and, when ``DATABASE_URL`` names one, PostgreSQL;
* ``--sockets-per-courier`` (15) sockets for each of ``--couriers`` (20) couriers, 300 sockets,
  dropped at once and resumed together.

    python -m benchmarks.bench_durability            # ~3 min on two idle cores
    python -m benchmarks.bench_durability --quick    # one kill, 100 sockets: a smoke run
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import results_io
from tests.api.test_durability import deliveries_through_kills, reconnect_storm
from tests.dispatch.conftest import postgres_url, schema_url

RESULTS = Path(__file__).parent / "results" / "durability.json"


def run(args: argparse.Namespace) -> dict[str, Any]:
    kills: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        figures = deliveries_through_kills(f"sqlite:///{Path(tmp) / 'kills.db'}", args.kills, args.spacing)
        kills.append({"database": "sqlite", **figures})
        base = postgres_url()
        if base is not None:
            for url in schema_url(base, "tandem_durability"):
                kills.append({"database": "postgresql", **deliveries_through_kills(url, args.kills, args.spacing)})
        storm_s = reconnect_storm(f"sqlite:///{Path(tmp) / 'storm.db'}", args.couriers, args.sockets_per_courier)
    return {
        "seed": 11,
        "clients": 16,
        "kills": kills,
        "storm": {"sockets": args.couriers * args.sockets_per_courier, "seconds": round(storm_s, 1)},
    }


def _table(results: dict[str, Any]) -> str:
    rows = [
        [r["database"], r["deliveries"], r["kills"], round(r["seconds"]), r["first_answers_201"]]
        for r in results["kills"]
    ]
    table = results_io.markdown_table(["database", "deliveries", "SIGKILLs", "seconds", "first answers 201"], rows)
    storm = results["storm"]
    return f"{table}\n\nreconnect storm: {storm['sockets']} sockets dropped and resumed in {storm['seconds']} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--spacing", type=int, default=80, help="deliveries between two kills")
    parser.add_argument("--couriers", type=int, default=20, help="couriers in the reconnect storm")
    parser.add_argument("--sockets-per-courier", type=int, default=15)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-save", action="store_true", help=f"print only; leave {RESULTS.name} as it is")
    args = parser.parse_args()
    if args.quick:
        args.kills, args.spacing, args.couriers, args.sockets_per_courier = 1, 40, 10, 10
    results = run(args)
    results_io.report(RESULTS, results, _table(results), save=not args.no_save and not args.quick)


if __name__ == "__main__":
    main()

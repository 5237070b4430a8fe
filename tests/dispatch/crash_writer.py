"""A client that requests deliveries one after another and prints each acknowledgement.

Run by tests/dispatch/test_crash.py, which kills it with SIGKILL mid-stream. Each request has an
idempotency key, as a real client's would, so that retrying after a crash is safe.

    python -m tests.dispatch.crash_writer DATABASE_URL COOP_ID CLIENT_ID FIRST LAST
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from dispatch import commands
from dispatch.store import Store
from tests.dispatch.conftest import a_request


def main() -> None:
    url, coop_id, client_id, first, last = sys.argv[1:6]
    store = Store.open(url, migrate=False)
    for i in range(int(first), int(last)):
        job = commands.request_job(
            store, coop_id, client_id, a_request(), at=datetime.now(UTC), idempotency_key=f"request-{i}"
        )
        print(f"ACK {i} {job.id}", flush=True)  # only now does the client know it was accepted


if __name__ == "__main__":
    main()

"""What every ``tandem`` command shares: the consoles, the failure that ends a command, common options.

Messages for people go to stderr on one line (scripts read stdout, and grep the errors); a
failure exits with code 2 and a sentence, never a traceback.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True, soft_wrap=True)  # messages stay on one line for scripts

CityOption = Annotated[
    str | None, typer.Option("--city", help="A city name (default: helsinki) or an .osm.pbf/.osm file.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy URL; default: $DATABASE_URL or a SQLite file in the data directory."),
]


def fail(message: str) -> typer.Exit:
    """Say what went wrong on stderr; the caller raises the returned Exit (code 2)."""
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)

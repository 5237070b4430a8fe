"""Writing a benchmark's results: the numbers and the machine they were measured on."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()}


def write(path: Path, results: dict[str, Any]) -> None:
    """Write ``results`` (plus the machine) as indented JSON, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**results, "machine": {**machine(), **results.get("machine", {})}}, indent=2) + "\n")


def report(path: Path, results: dict[str, Any], table: str, *, save: bool) -> None:
    """Print a run's table; write its results to ``path`` when ``save`` (not for a smoke run)."""
    print(table)
    if save:
        write(path, results)


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table of ``rows`` under ``header``, numbers right-aligned."""
    align = ["---:" if rows and isinstance(rows[0][i], int | float) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)

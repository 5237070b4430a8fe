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

"""README's table of settings names every ``TANDEM_*`` variable the code reads, with its true
default (issue 16): an operator learns what they can set from the README, not from the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\bTANDEM_[A-Z0-9_]*[A-Z0-9]\b")


def read_by_the_code() -> set[str]:
    """Every ``TANDEM_*`` named in the code, and every ``Settings`` field (read as ``TANDEM_<FIELD>``)."""
    named = {
        m
        for folder in ("api", "dispatch", "routing")
        for p in (ROOT / folder).rglob("*.py")
        for m in NAME.findall(p.read_text(encoding="utf-8"))
    }
    return named | {f"TANDEM_{field.upper()}" for field in Settings.model_fields}


def table() -> dict[str, list[str]]:
    """README's settings table: each variable its row names, and the row's cells."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Every setting", 1)[1].split("\n#", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            for name in re.findall(r"`([A-Z_0-9]+)`", cells[0]):
                rows[name] = cells
    return rows


def said(default: Any) -> list[str]:
    """How a default may be written in the table: any of these words in its cell."""
    if isinstance(default, bool):
        return [f"`{str(default).lower()}`"]
    if isinstance(default, int):
        return [f"`{default}`"]
    if isinstance(default, float):
        return [f"`{default:g}`"]
    if default in ("", None):
        return ["empty", "none", "unset", "a SQLite file"]
    return [f"`{default}`"]


def test_every_setting_the_code_reads_is_in_the_readme_with_its_default() -> None:
    rows, wanted = table(), read_by_the_code()
    assert {
        "TANDEM_WEBHOOK_ALLOW_HTTP",
        "TANDEM_PUBLIC_URL",
        "TANDEM_WEBHOOK_DNS",
        "TANDEM_DATA_DIR",
    } <= wanted  # found
    missing = sorted(wanted - rows.keys())
    assert not missing, f"README's settings table lacks {missing}"
    wrong = []
    for field, info in Settings.model_fields.items():
        cell = rows[f"TANDEM_{field.upper()}"][1]
        if not any(word in cell for word in said(info.default)):
            wrong.append(f"TANDEM_{field.upper()}: {cell!r}, the code says {info.default!r}")
    assert not wrong, "\n".join(wrong)
    assert rows.keys() - wanted <= {"DATABASE_URL", "REDIS_URL"}, "the table names a setting the code never reads"

"""ARCHITECTURE.md is the map of the code: these keep it true.

- the table of where each operation lives is the registry's (scripts/operation_map.py);
- no module is over 450 lines unless ARCHITECTURE.md names it with the reason;
- every package in gatehold/ is named in ARCHITECTURE.md.
(The layers themselves are import-linter's contracts, run by scripts/check.sh.)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARCHITECTURE = REPO / "ARCHITECTURE.md"
MAX_LINES = 450

sys.path.insert(0, str(REPO / "scripts"))
import operation_map  # noqa: E402


def _text() -> str:
    return ARCHITECTURE.read_text(encoding="utf-8")


def _section(title: str) -> str:
    body = _text().split(f"## {title}", 1)[1]
    end = re.search(r"^## ", body, flags=re.MULTILINE)
    return body[: end.start()] if end else body


def test_the_operation_table_is_the_registrys() -> None:
    assert operation_map.table() in _text(), (
        "ARCHITECTURE.md's operation table is stale: run "
        "`.venv/bin/python scripts/operation_map.py` and paste its output between the markers"
    )


def test_no_module_is_longer_than_the_limit_unless_named_with_a_reason() -> None:
    allowed = set(re.findall(r"`(gatehold/[\w/]+\.py)`", _section("Module size")))
    long = {
        path.relative_to(REPO).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in (REPO / "gatehold").rglob("*.py")
    }
    over = sorted(f"{p} ({n} lines)" for p, n in long.items() if n > MAX_LINES and p not in allowed)
    assert not over, f"modules over {MAX_LINES} lines: {over}"
    stale = sorted(p for p in allowed if long.get(p, 0) <= MAX_LINES)
    assert not stale, f"ARCHITECTURE.md allows long modules that are not: {stale}"


def test_every_package_is_on_the_map() -> None:
    text = _text()
    packages = sorted(
        init.parent.relative_to(REPO).as_posix() + "/"
        for init in (REPO / "gatehold").rglob("__init__.py")
        if init.parent != REPO / "gatehold"
    )
    unnamed = [p for p in packages if p not in text and p.split("/")[-2] + "/" not in text]
    assert not unnamed, f"packages ARCHITECTURE.md does not name: {unnamed}"

"""Print ARCHITECTURE.md's table of where each AWS operation lives.

    .venv/bin/python scripts/operation_map.py

The table is made from the registry (gatehold/services/registry.py): each
operation under the module whose function implements it. ARCHITECTURE.md holds
it between its "operations" markers; tests/unit/test_architecture.py checks that it
is current, so a new operation is one run of this script away from being listed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gatehold.services.registry import HANDLERS

BEGIN = "<!-- operations: begin (scripts/operation_map.py) -->"
END = "<!-- operations: end -->"


def table() -> str:
    by_module: dict[tuple[str, str], list[str]] = {}
    for (service, operation), handler in HANDLERS.items():
        path = handler.__module__.replace(".", "/") + ".py"
        by_module.setdefault((service, path), []).append(operation)
    lines = ["| service | module | operations |", "| --- | --- | --- |"]
    for (service, path), operations in sorted(by_module.items()):
        lines.append(f"| {service} | `{path}` | {', '.join(sorted(operations))} |")
    return "\n".join([BEGIN, *lines, END])


if __name__ == "__main__":
    print(table())

"""Bump the pinned installs, and say what the new botocore changes for our services.

    .venv/bin/python scripts/bump_lock.py            # newest of everything
    .venv/bin/python scripts/bump_lock.py --botocore 1.44.18
    .venv/bin/python scripts/bump_lock.py --report-only --botocore 1.44.18

Installs gatehold's dependencies (and the AWS CLI's and trailscraper's, which get
venvs of their own in scripts/test.sh) into fresh virtual environments without the
lock, newest versions first, and writes what was installed to requirements/*.txt and
the exact botocore, boto3 and setuptools (the build's) pins to pyproject.toml. Then it
compares the botocore models in .venv (the old lock) with the new ones for every
service gatehold serves (gatehold.protocol.models.SERVICE_NAMES) and prints the
operations added and removed, and every input, output or error shape that changed,
member by member.

Nothing is committed: review the report, update the operations and their exclusions
(gatehold/services/iam/left_out.py and README.md's lists) in the same commit, and
run the suite. --report-only installs only botocore and prints the report.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gatehold.protocol.models import SERVICE_NAMES  # noqa: E402 - needs REPO on sys.path

REQUIREMENTS = REPO / "requirements"
LOCK = REQUIREMENTS / "lock.txt"
# Tools the tests run from venvs of their own (their pins conflict with ours).
SIDE_TOOLS = {"awscli": "awscli", "trailscraper": "trailscraper"}
# Pinned exactly in pyproject.toml as well: the models are the API contract.
EXACT = ("botocore", "boto3")

HEADER = """\
# {what}
# Written by scripts/bump_lock.py; do not edit by hand (README.md, "Pinned installs").
"""

# Run inside a venv: every operation of the named services, each shape flattened to
# "path: description" lines, so that two versions compare line by line.
DUMP_MODELS = r"""
import json, sys
import botocore, botocore.session

def describe(shape):
    parts = [shape.type_name]
    meta = shape.metadata
    for key in ("min", "max", "pattern", "sensitive"):
        if key in meta:
            parts.append(f"{key}={meta[key]}")
    if getattr(shape, "enum", None):
        parts.append("enum=" + "|".join(shape.enum))
    return " ".join(parts)

def flatten(shape, path, out, seen):
    if shape is None:
        return
    out[path] = describe(shape)
    if shape.name in seen:
        return
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        required = set(shape.required_members)
        for name, member in shape.members.items():
            flatten(member, f"{path}.{name}{'' if name not in required else ' (required)'}",
                    out, seen)
    elif shape.type_name == "list":
        flatten(shape.member, path + "[]", out, seen)
    elif shape.type_name == "map":
        flatten(shape.key, path + "{key}", out, seen)
        flatten(shape.value, path + "{value}", out, seen)

session = botocore.session.get_session()
result = {"version": botocore.__version__, "services": {}}
for service in sys.argv[1:]:
    model = session.get_service_model(service)
    ops = {}
    for name in model.operation_names:
        op = model.operation_model(name)
        shapes = {}
        flatten(op.input_shape, "input", shapes, frozenset())
        flatten(op.output_shape, "output", shapes, frozenset())
        for err in op.error_shapes:
            shapes[f"error {err.name}"] = describe(err)
        ops[name] = shapes
    result["services"][service] = ops
print(json.dumps(result))
"""


def run(*cmd: str | Path, capture: bool = False) -> str:
    done = subprocess.run([str(c) for c in cmd], check=True, text=True, capture_output=capture)
    return done.stdout if capture else ""


def venv(folder: Path) -> Path:
    run(sys.executable, "-m", "venv", folder)
    python = folder / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "pip")
    return python


def pip_install(python: Path, *args: str) -> None:
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args)


def frozen(python: Path) -> list[str]:
    lines = run(python, "-m", "pip", "freeze", "--exclude-editable", capture=True).splitlines()
    return sorted((ln for ln in lines if ln and not ln.startswith("#")), key=str.lower)


def unpinned_requirements(botocore: str | None) -> list[str]:
    """gatehold's requirements with the exact pins lifted (or set to `botocore`)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    out = []
    for req in reqs:
        name = re.split(r"[\[<>=!~ ;]", req, maxsplit=1)[0]
        if name.lower() in EXACT:
            out.append(f"{name}=={botocore}" if botocore else name)
        else:
            out.append(req)
    return out


def write_lock(path: Path, what: str, lines: list[str]) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(HEADER.format(what=what) + "\n".join(lines) + "\n")


def pin_pyproject(pins: dict[str, str]) -> None:
    """The exact pins in pyproject.toml: botocore, boto3 and the build's setuptools."""
    path = REPO / "pyproject.toml"
    text = path.read_text()
    for name, version in pins.items():
        text = re.sub(rf'"{name}==[^"]+"', f'"{name}=={version}"', text)
    path.write_text(text)


def version_of(python: Path, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    return run(python, "-c", code, capture=True).strip()


def dump_models(python: Path) -> dict[str, object]:
    dump: dict[str, object] = json.loads(
        run(python, "-c", DUMP_MODELS, *SERVICE_NAMES, capture=True)
    )
    return dump


def report(old: dict[str, object], new: dict[str, object]) -> list[str]:
    """What changed between two model dumps, service by service."""
    lines = [f"botocore {old['version']} -> {new['version']}"]
    old_services: dict[str, dict[str, dict[str, str]]] = old["services"]  # type: ignore[assignment]
    new_services: dict[str, dict[str, dict[str, str]]] = new["services"]  # type: ignore[assignment]
    for service in SERVICE_NAMES:
        before, after = old_services[service], new_services[service]
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = sorted(op for op in set(before) & set(after) if before[op] != after[op])
        lines.append(f"\n{service}: {len(before)} -> {len(after)} operations")
        if not (added or removed or changed):
            lines.append("  no change")
        lines.extend(f"  + {op}" for op in added)
        lines.extend(f"  - {op}" for op in removed)
        for op in changed:
            lines.append(f"  ~ {op}")
            was, now = before[op], after[op]
            lines.extend(
                f"      {path}: {was.get(path, '(absent)')} -> {now.get(path, '(absent)')}"
                for path in sorted(set(was) | set(now))
                if was.get(path) != now.get(path)
            )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--botocore", help="the botocore (and boto3) version; default newest")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="only print what the new botocore changes; write nothing",
    )
    args = parser.parse_args()
    old_python = REPO / ".venv" / "bin" / "python"
    if not old_python.exists():
        parser.error("run scripts/test.sh once first: .venv holds the locked botocore")
    old = dump_models(old_python)
    with tempfile.TemporaryDirectory(prefix="gatehold-lock-") as tmp:
        main_python = venv(Path(tmp) / "main")
        if args.report_only:
            pip_install(main_python, f"botocore=={args.botocore}" if args.botocore else "botocore")
        else:
            pip_install(main_python, "--upgrade", "setuptools")
            setuptools = version_of(main_python, "setuptools")
            pip_install(main_python, *unpinned_requirements(args.botocore))
            pip_install(main_python, "--no-deps", "-e", str(REPO))
            lines = frozen(main_python)
            write_lock(
                LOCK,
                "gatehold, its tests and checks: `pip install -c requirements/lock.txt`",
                lines,
            )
            for tool, package in SIDE_TOOLS.items():
                python = venv(Path(tmp) / tool)
                pip_install(python, package)
                write_lock(
                    REQUIREMENTS / f"{tool}.txt",
                    f"{tool} in its own venv (scripts/test.sh)",
                    frozen(python),
                )
        new = dump_models(main_python)
    if not args.report_only:
        version = str(new["version"])
        pin_pyproject({"botocore": version, "boto3": version, "setuptools": setuptools})
        print(
            f"wrote {LOCK.relative_to(REPO)}, requirements/{{awscli,trailscraper}}.txt "
            f"and pyproject.toml's pins\n"
        )
    print("\n".join(report(old, new)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

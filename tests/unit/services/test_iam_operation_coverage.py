"""Every IAM operation in botocore's model is either implemented or deliberately
left out with a reason, and the README names every one that is left out."""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session

from gatehold.services.iam.left_out import LEFT_OUT
from gatehold.services.registry import HANDLERS

README = Path(__file__).resolve().parents[3] / "README.md"
SECTION = "## IAM operations left out"


def _model_operations() -> list[str]:
    return list(botocore.session.get_session().get_service_model("iam").operation_names)


def _implemented() -> set[str]:
    return {op for service, op in HANDLERS if service == "iam"}


def _readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no {SECTION!r} section"
    body = text.split(SECTION, 1)[1]
    next_heading = re.search(r"^## ", body, flags=re.MULTILINE)
    return body[: next_heading.start()] if next_heading else body


def test_every_iam_operation_is_implemented_or_left_out_with_a_reason() -> None:
    implemented = _implemented()
    missing = sorted(
        op for op in _model_operations() if op not in implemented and op not in LEFT_OUT
    )
    assert not missing, (
        f"{len(missing)} IAM operations are neither implemented nor in LEFT_OUT "
        "(gatehold/services/iam/left_out.py):\n  " + "\n  ".join(missing)
    )


def test_left_out_names_only_real_unimplemented_operations() -> None:
    model = set(_model_operations())
    unknown = sorted(set(LEFT_OUT) - model)
    assert not unknown, f"LEFT_OUT names operations botocore's IAM model lacks: {unknown}"
    built = sorted(set(LEFT_OUT) & _implemented())
    assert not built, f"implemented, so remove from LEFT_OUT and the README: {built}"
    empty = sorted(op for op, reason in LEFT_OUT.items() if len(reason.strip()) < 20)
    assert not empty, f"LEFT_OUT entries without a real reason: {empty}"


def test_readme_names_every_operation_left_out() -> None:
    section = _readme_section()
    named = set(re.findall(r"`([A-Za-z]+)`", section))
    unnamed = sorted(set(LEFT_OUT) - named)
    assert not unnamed, f"README's {SECTION!r} section does not name: {unnamed}"
    stale = sorted((named & set(_model_operations())) - set(LEFT_OUT))
    assert not stale, f"README's {SECTION!r} names operations that are not left out: {stale}"

"""The credential report: one CSV row per user (the root user first) with the
state of its password, MFA, access keys and signing certificates.

Format (IAM User Guide, "Getting credential reports"): AWS's columns in AWS's
order; times in ISO 8601 with an explicit offset (2024-05-01T10:00:00+00:00);
booleans "true"/"false"; "N/A" where a value does not apply (no such key, no
password); "no_information" for a password never used; "not_supported" for the
root user's password_enabled, password_last_changed and password_next_rotation.

A report is generated at most every four hours: GenerateCredentialReport starts
one (State STARTED) when none is younger, and otherwise answers COMPLETE. The
report is built synchronously here, so it is ready as soon as STARTED is
answered; GetCredentialReport answers ReportExpired once it is four hours old.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from gatehold.arn import root_arn
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import credential_errors
from gatehold.store import account_info
from gatehold.store.account_info import KeyFacts, ReportInputs, UserFacts

REPORT_LIFETIME = timedelta(hours=4)
STARTED_DESCRIPTION = "No report exists. Starting a new report generation task"

COLUMNS = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
]  # fmt: skip

NA, NO_INFORMATION, NOT_SUPPORTED = "N/A", "no_information", "not_supported"


def _time(value: datetime | None) -> str:
    if value is None:
        return NA
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _bool(*, value: bool) -> str:
    return "true" if value else "false"


def _key_columns(keys: tuple[KeyFacts, ...], index: int) -> list[str]:
    if index >= len(keys):
        return ["false", NA, NA, NA, NA]
    k = keys[index]
    return [
        _bool(value=k.active),
        _time(k.created_at),
        _time(k.last_used_at),
        k.last_used_region or NA,
        k.last_used_service or NA,
    ]


def _cert_columns(certs: tuple[KeyFacts, ...], index: int) -> list[str]:
    if index >= len(certs):
        return ["false", NA]
    return [_bool(value=certs[index].active), _time(certs[index].created_at)]


def _password_columns(u: UserFacts, *, root: bool, max_age_days: int | None) -> list[str]:
    if root:
        return [NOT_SUPPORTED, NO_INFORMATION, NOT_SUPPORTED, NOT_SUPPORTED]
    has_password = u.password_changed_at is not None
    if u.password_last_used is not None:
        last_used = _time(u.password_last_used)
    else:
        last_used = NO_INFORMATION if has_password else NA
    next_rotation = NA
    if u.password_changed_at is not None and max_age_days:
        next_rotation = _time(u.password_changed_at + timedelta(days=max_age_days))
    return [_bool(value=has_password), last_used, _time(u.password_changed_at), next_rotation]


def _row(u: UserFacts, *, root: bool, max_age_days: int | None) -> list[str]:
    return [
        u.name,
        u.arn,
        _time(u.created_at),
        *_password_columns(u, root=root, max_age_days=max_age_days),
        _bool(value=u.mfa_active),
        *_key_columns(u.access_keys, 0),
        *_key_columns(u.access_keys, 1),
        *_cert_columns(u.certificates, 0),
        *_cert_columns(u.certificates, 1),
    ]


def render(inputs: ReportInputs) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow(_row(inputs.root, root=True, max_age_days=inputs.max_password_age_days))
    for user in inputs.users:
        writer.writerow(_row(user, root=False, max_age_days=inputs.max_password_age_days))
    return out.getvalue().encode("utf-8")


def generate_credential_report(call: Call, params: Params) -> Result:
    call.authorize("iam:GenerateCredentialReport", "*")
    account_id = call.ctx.principal.account_id
    existing = account_info.get_report(call.db, account_id)
    if existing is not None and call.ctx.now - existing[0] < REPORT_LIFETIME:
        return {"State": "COMPLETE"}
    inputs = account_info.report_inputs(call.db, account_id, root_arn(account_id))
    account_info.put_report(call.db, account_id, call.ctx.now, render(inputs))
    return {"State": "STARTED", "Description": STARTED_DESCRIPTION}


def get_credential_report(call: Call, params: Params) -> Result:
    call.authorize("iam:GetCredentialReport", "*")
    existing = account_info.get_report(call.db, call.ctx.principal.account_id)
    if existing is None:
        raise credential_errors.report_not_present()
    generated_at, content = existing
    if call.ctx.now - generated_at >= REPORT_LIFETIME:
        raise credential_errors.report_expired()
    return {"Content": content, "ReportFormat": "text/csv", "GeneratedTime": generated_at}


HANDLERS = {
    "GenerateCredentialReport": generate_credential_report,
    "GetCredentialReport": get_credential_report,
}

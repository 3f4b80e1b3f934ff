"""What every STS operation that issues temporary credentials shares.

Minting credentials (an ASIA key id, a secret, a sealed session token), MFA code
checks against the caller's virtual device, session policies (inline and
PolicyArns) and PackedPolicySize, session tags.
"""

from __future__ import annotations

import json
import math
import zlib
from datetime import datetime, timedelta
from typing import Any

from gatehold import ids
from gatehold.auth import session_tokens, totp
from gatehold.authz.policies import parse_cached
from gatehold.context import Principal, PrincipalKind, SessionFacts
from gatehold.errors import AwsError, ErrorWithAftermath, access_denied
from gatehold.policy import MalformedPolicy, PolicyKind
from gatehold.services.call import Call
from gatehold.store import managed_policies, mfa_devices, policy_sources

Result = dict[str, Any]

# AWS (API_AssumeRole, "Policy"/"Tags"): inline session policy, managed policy ARNs
# and session tags are packed into a binary form with its own limit, and the
# answer reports how much of it they use as PackedPolicySize (a percentage).
# AWS does not document the packing; we measure the compressed size of the
# policies and tags against this budget (unconfirmed: an approximation).
_PACKED_BUDGET = 2048


def is_temporary(p: Principal) -> bool:
    return p.session is not None


def mint(call: Call, principal: Principal, facts: SessionFacts) -> tuple[Principal, Result]:
    """New temporary credentials for `principal` with `facts`: the Credentials shape."""
    key_id = ids.new_access_key_id(principal.account_id, ids.PREFIX_TEMP_ACCESS_KEY)
    secret = ids.new_secret_access_key()
    session_principal = Principal(
        kind=principal.kind,
        account_id=principal.account_id,
        arn=principal.arn,
        user_id=principal.user_id,
        user_name=principal.user_name,
        access_key_id=key_id,
        session=facts,
    )
    assert call.box is not None
    token = session_tokens.seal(call.box, session_tokens.Session(key_id, secret, session_principal))
    credentials = {
        "AccessKeyId": key_id,
        "SecretAccessKey": secret,
        "SessionToken": token,
        "Expiration": facts.expires_at,
    }
    return session_principal, credentials


# --- MFA ---------------------------------------------------------------------------


# After this many wrong codes in a row a device accepts none for the cooldown
# (the console has its own, per-account lockout for its MFA step).
WRONG_CODES_BEFORE_BLOCK = 5
WRONG_CODE_COOLDOWN = timedelta(minutes=15)


def mfa_failed() -> AwsError:
    # AWS's answer to a wrong TokenCode, as quoted in aws-cli/boto3 reports
    # ("MultiFactorAuthentication failed with invalid MFA one time pass code."),
    # unconfirmed in AWS's reference.
    return access_denied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")


def check_mfa(call: Call, serial: str | None, code: str | None) -> datetime | None:
    """When an MFA code was checked (now), None when none was given.

    The device must be an enabled virtual device of the caller (the user or, for
    the root user, the account's root device); the code is accepted within ±1
    step of now and only once (the device's last accepted step moves forward in
    this transaction).
    """
    if not serial and not code:
        return None
    p = call.ctx.principal
    if not serial or not code:
        raise mfa_failed()
    device = mfa_devices.get(call.db, p.account_id, serial)
    owner_ok = device is not None and (
        (p.kind is PrincipalKind.ROOT and device.user_type == mfa_devices.OWNER_ROOT)
        or (
            p.kind is PrincipalKind.USER
            and device.user_type == mfa_devices.OWNER_USER
            and device.user_id == _long_term_user_id(p)
        )
    )
    if device is None or not owner_ok or device.seed_sealed is None or call.box is None:
        # Unconfirmed text: AWS answers an unknown or foreign serial number with an
        # AccessDenied as well; we give the same answer as for a wrong code.
        raise mfa_failed()
    now = call.ctx.now
    blocked_until = mfa_devices.codes_blocked_until(call.db, device.serial_number)
    if blocked_until is not None and now < blocked_until:
        raise mfa_failed()
    seed = call.box.open(device.seed_sealed, mfa_devices.seed_aad(device.serial_number))
    step = totp.verify(seed, code, totp.step_at(now), device.last_used_step)
    if step is None:
        # A guess wins 3 times in a million (±1 step): uncounted, stolen access keys
        # would get past MFA in minutes. The count must survive this request's
        # rollback, hence the aftermath.
        serial = device.serial_number
        raise ErrorWithAftermath(
            mfa_failed(),
            lambda db: mfa_devices.count_wrong_code(
                db, serial, now, WRONG_CODES_BEFORE_BLOCK, WRONG_CODE_COOLDOWN
            ),
        )
    if not mfa_devices.note_step(call.db, device.serial_number, step):
        raise mfa_failed()  # a concurrent request used this code first
    mfa_devices.clear_wrong_codes(call.db, device.serial_number)
    return now


def _long_term_user_id(p: Principal) -> str:
    if p.session is not None and p.session.user_id:
        return p.session.user_id
    return p.user_id


# --- session policies and tags -------------------------------------------------------


def malformed_policy(reason: str) -> AwsError:
    return AwsError("MalformedPolicyDocument", reason, 400)


def session_policy_texts(call: Call, params: dict[str, Any]) -> tuple[str, ...]:
    """The inline Policy and the documents of PolicyArns, checked, as the token carries them.

    Managed session policies are resolved now, at issue time (a simplification:
    AWS reads them when the session is used).
    """
    texts: list[str] = []
    inline = params.get("Policy")
    if inline:
        try:
            parse_cached(inline, PolicyKind.SESSION)
        except MalformedPolicy as exc:
            raise malformed_policy(exc.reason) from None
        texts.append(inline)
    arns = [entry["arn"] for entry in params.get("PolicyArns") or []]
    customer = policy_sources.customer_policies(
        call.db, [a for a in arns if managed_policies.get(a) is None]
    )
    for arn in arns:
        aws = managed_policies.get(arn)
        if aws is not None:
            texts.append(aws.document_text)
        elif arn in customer and arn.split(":")[4] == call.ctx.principal.account_id:
            # Only this account's own customer policies: another account's ARN is
            # refused as if it did not exist (existence is not revealed).
            texts.append(customer[arn].document)
        else:
            # Unconfirmed text; AWS refuses a PolicyArns entry it cannot find.
            raise AwsError(
                "InvalidParameterValue", f"Policy {arn} does not exist or is not attachable.", 400
            )
    return tuple(texts)


def packed_size(policies: tuple[str, ...], tags: tuple[tuple[str, str], ...]) -> int:
    """PackedPolicySize: percent of the packed budget; PackedPolicyTooLarge above 100."""
    if not policies and not tags:
        return 0
    minified = [json.dumps(json.loads(t), separators=(",", ":")) for t in policies]
    raw = json.dumps([minified, [list(t) for t in tags]], separators=(",", ":")).encode()
    percent = math.ceil(100 * len(zlib.compress(raw, 9)) / _PACKED_BUDGET)
    if percent > 100:
        # AWS's wording, unconfirmed: "Packed policy consumes N% of allotted space,
        # please use smaller policy."
        raise AwsError(
            "PackedPolicyTooLarge",
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy.",
            400,
        )
    return percent


def request_tags(params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((t["Key"], t["Value"]) for t in params.get("Tags") or [])


def tag_context(tags: tuple[tuple[str, str], ...]) -> dict[str, tuple[str, ...]]:
    """aws:RequestTag/* and aws:TagKeys for session tags (sts:TagSession)."""
    if not tags:
        return {}
    values: dict[str, tuple[str, ...]] = {f"aws:RequestTag/{k}": (v,) for k, v in tags}
    values["aws:TagKeys"] = tuple(k for k, _ in tags)
    return values


def expiry(call: Call, seconds: int) -> tuple[datetime, datetime]:
    now = call.ctx.now.replace(microsecond=0)
    return now, now + timedelta(seconds=seconds)

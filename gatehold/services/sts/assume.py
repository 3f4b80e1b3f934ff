"""AssumeRole: a role session, decided by the role's trust policy and the caller's policies.

AWS (API_AssumeRole; id_roles_use; reference_policies_evaluation-logic-cross-account):
the trust policy is the role's resource-based policy, evaluated by the engine
together with the caller's identity policies, boundary and session policies:
same account, a trust policy naming the caller's ARN suffices, one naming the
account delegates to the caller's identity policy; cross account, both must
allow. sts:TagSession is needed too when session tags are passed, and
sts:SetSourceIdentity when a source identity is set.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gatehold import errors
from gatehold.authz.enforcer import PolicyEnforcer
from gatehold.authz.policies import compiled
from gatehold.context import Principal, PrincipalKind, SessionFacts
from gatehold.errors import AwsError, PolicyDenial, access_denied
from gatehold.policy import PolicyKind, PolicyRef
from gatehold.services.call import Call, Params, Result
from gatehold.services.read_mostly import need_write
from gatehold.services.sts.common import (
    check_mfa,
    expiry,
    mint,
    packed_size,
    request_tags,
    session_policy_texts,
    tag_context,
)
from gatehold.store import roles as role_store
from gatehold.store.roles import Role

Context = dict[str, tuple[str, ...]]
DEFAULT_SECONDS = 3600
CHAINED_MAX_SECONDS = 3600

# RoleLastUsed is written at most this often per role (and on a change of region),
# as access keys' last-used facts are (api.py): AWS documents both as approximate,
# and not writing lets AssumeRole run in a read transaction (read_mostly.py).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _not_authorized(p: Principal, role_arn: str, cause: AwsError | None = None) -> AwsError:
    # AWS's AssumeRole denial names neither the policy type nor a reason (issue 5,
    # and the text quoted in many CLI reports).
    text = f"User: {p.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    if isinstance(cause, PolicyDenial):  # the engine's reasons, for an encoded message
        return PolicyDenial(text, cause.account_id, cause.details)
    return access_denied(text)


def find_role(call: Call, role_arn: str) -> Role | None:
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    name = parts[5].rsplit("/", 1)[-1]
    role = role_store.get_by_name(call.db, parts[4], name)
    # The ARN must be the role's real ARN, path included.
    return role if role is not None and role.arn == role_arn else None


def role_session_duration(params: Params, role: Role, *, chained: bool) -> int:
    seconds = int(params.get("DurationSeconds") or DEFAULT_SECONDS)
    if chained and seconds > CHAINED_MAX_SECONDS:
        raise errors.validation_error(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles "
            "assumed by role chaining."
        )
    if seconds > role.max_session_duration:
        # AWS's text, as quoted in many CLI/SDK reports.
        raise errors.validation_error(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    return seconds


def session_tags(
    caller: Principal, params: Params
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The session's tags and transitive keys: the caller's transitive ones carried
    through role chaining, then the requested ones."""
    requested = request_tags(params)
    transitive = list(params.get("TransitiveTagKeys") or [])
    keys = {k.lower() for k, _ in requested}
    for key in transitive:
        if key.lower() not in keys:
            # Unconfirmed text (AWS documents the rule, not the message).
            raise errors.invalid_parameter_value(
                "The specified transitive tag key must be included in the requested tags."
            )
    inherited: list[tuple[str, str]] = []
    s = caller.session
    if s is not None and s.transitive_tag_keys:
        carried = {k.lower() for k in s.transitive_tag_keys}
        inherited = [(k, v) for k, v in s.tags if k.lower() in carried]
        for k, _ in inherited:
            if k.lower() in keys:
                # Unconfirmed text: AWS refuses to override a transitive tag.
                raise errors.invalid_parameter_value(
                    "One or more of the specified transitive tag keys can't be set because "
                    "it conflicts with a transitive tag key from the calling session."
                )
        transitive += [k for k, _ in inherited]
    return tuple(inherited) + requested, tuple(transitive)


def _trust_context(params: Params, *, mfa: bool, source: str | None) -> Context:
    context: Context = dict(tag_context(request_tags(params)))
    if params.get("ExternalId") is not None:
        context["sts:ExternalId"] = (params["ExternalId"],)
    if params.get("TransitiveTagKeys"):
        context["sts:TransitiveTagKeys"] = tuple(params["TransitiveTagKeys"])
    context["sts:RoleSessionName"] = (params["RoleSessionName"],)
    if source:
        context["sts:SourceIdentity"] = (source,)
    if mfa:
        context["aws:MultiFactorAuthPresent"] = ("true",)
        context["aws:MultiFactorAuthAge"] = ("0",)
    return context


def _authorize(call: Call, role: Role, context: Context, params: Params) -> None:
    enforcer = call.enforcer
    p = call.ctx.principal
    trust = compiled(
        ("trust", role.role_id, role.assume_role_policy_document),
        role.assume_role_policy_document,
        PolicyKind.TRUST,
    )
    ref = PolicyRef(trust, role.arn, "resource")
    actions = ["sts:AssumeRole"]
    if params.get("Tags"):
        actions.append("sts:TagSession")
    if params.get("SourceIdentity"):
        actions.append("sts:SetSourceIdentity")
    for action in actions:
        try:
            if isinstance(enforcer, PolicyEnforcer):
                enforcer.decide(call.db, call.ctx, action, role.arn, context, ref)
            else:  # another enforcer (tests): the caller's side only
                call.authorize(action, role.arn, context)
        except AwsError as err:
            if err.code == "AccessDenied":
                raise (
                    _not_authorized(p, role.arn, err) if action == "sts:AssumeRole" else err
                ) from None
            raise


def last_used_is_stale(role: Role, now: datetime, region: str) -> bool:
    return (
        role.last_used_at is None
        or role.last_used_region != region
        or now - role.last_used_at >= LAST_USED_RESOLUTION
    )


def note_role_used(call: Call, role: Role) -> None:
    """RoleLastUsed for a session just issued, when it is stale: the only write of the
    read-first role assumptions (read_mostly.py), so it asks for a write transaction."""
    if last_used_is_stale(role, call.ctx.now, call.ctx.region):
        need_write(call.db)
        role_store.update(
            call.db, role.role_id, last_used_at=call.ctx.now, last_used_region=call.ctx.region
        )


def assume_role(call: Call, params: Params) -> Result:
    p = call.ctx.principal
    role_arn = params["RoleArn"]
    if params.get("SerialNumber") or params.get("TokenCode"):
        need_write(call.db)  # an MFA code is marked as used, in the same transaction
    if p.kind is PrincipalKind.ROOT:
        # AWS's text for the root user's AssumeRole (unconfirmed in the reference;
        # quoted in CLI reports).
        raise access_denied("Roles may not be assumed by root accounts.")
    chained = p.kind is PrincipalKind.ASSUMED_ROLE
    caller_source = p.session.source_identity if p.session else None
    source = params.get("SourceIdentity") or caller_source
    if caller_source and params.get("SourceIdentity") not in (None, caller_source):
        # AWS: a source identity, once set, cannot be changed down the chain.
        raise access_denied(
            f"User: {p.arn} is not authorized to perform: sts:SetSourceIdentity "
            f"on resource: {role_arn}"
        )
    mfa_at = check_mfa(call, params.get("SerialNumber"), params.get("TokenCode"))
    tags, transitive = session_tags(p, params)
    role = find_role(call, role_arn)
    context = _trust_context(params, mfa=mfa_at is not None, source=source)
    if role is None:
        # Nobody may assume what does not exist: the same denial, nothing learnt.
        raise _not_authorized(p, role_arn)
    _authorize(call, role, context, params)
    policies = session_policy_texts(call, params)
    size = packed_size(policies, tags)
    issued, expires = expiry(call, role_session_duration(params, role, chained=chained))
    name = params["RoleSessionName"]
    session_arn = f"arn:aws:sts::{role.account_id}:assumed-role/{role.role_name}/{name}"
    facts = SessionFacts(
        issued_at=issued,
        expires_at=expires,
        role_id=role.role_id,
        role_arn=role.arn,
        session_name=name,
        mfa_at=mfa_at,
        source_identity=source,
        tags=tags,
        transitive_tag_keys=transitive,
        policies=policies,
    )
    session_principal = Principal(
        kind=PrincipalKind.ASSUMED_ROLE,
        account_id=role.account_id,
        arn=session_arn,
        user_id=f"{role.role_id}:{name}",
    )
    _, credentials = mint(call, session_principal, facts)
    note_role_used(call, role)
    result: Result = {
        "Credentials": credentials,
        "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{name}", "Arn": session_arn},
    }
    if policies or tags:  # AWS answers PackedPolicySize only when something was packed
        result["PackedPolicySize"] = size
    if source:
        result["SourceIdentity"] = source
    return result


HANDLERS = {
    "AssumeRole": assume_role,
}

"""Texts that say why: AWS's AccessDenied wording, and a human explanation.

AWS (troubleshoot_access-denied.html): most messages read
``User: <arn> is not authorized to perform: <action> on resource: <arn> <context>``
where the context is ``with an explicit deny in a <type> policy`` or
``because no <type> policy allows the <action> action``. The types AWS uses are
identity-based, resource-based, session, service control and resource control
policies, and the permissions boundary ("because no permissions boundary allows
...", "with an explicit deny in a permissions boundary").
"""

from __future__ import annotations

from gatehold.policy.model import Decision

# policy type -> (noun phrase, with its article)
_PHRASES: dict[str, tuple[str, str]] = {
    "identity-based": ("identity-based policy", "an identity-based policy"),
    "resource-based": ("resource-based policy", "a resource-based policy"),
    "permissions boundary": ("permissions boundary", "a permissions boundary"),
    "session": ("session policy", "a session policy"),
    "scp": ("service control policy", "a service control policy"),
    "rcp": ("resource control policy", "a resource control policy"),
}


def denial_reason(decision: Decision, *, with_policy_arn: bool = False) -> str:
    """The context part of AWS's AccessDenied message ("" when allowed).

    ``with_policy_arn`` appends the denying policy's ARN, as AWS now does for
    explicit denies in managed policies ("... in an identity-based policy: arn:...").
    """
    if decision.outcome == "allowed":
        return ""
    kind = decision.deciding_policy_type or "identity-based"
    noun, with_article = _PHRASES.get(kind, (f"{kind} policy", f"a {kind} policy"))
    if decision.outcome == "explicitDeny":
        text = f"with an explicit deny in {with_article}"
        if with_policy_arn:
            arns = [m.source_id for m in decision.matched if m.source_id.startswith("arn:")]
            if arns:
                text += f": {arns[0]}"
        return text
    return f"because no {noun} allows the {decision.action} action"


def access_denied_message(
    decision: Decision, principal_arn: str, *, with_policy_arn: bool = False
) -> str:
    """AWS's full AccessDenied text for a denied decision."""
    return (
        f"User: {principal_arn} is not authorized to perform: {decision.action} "
        f"on resource: {decision.resource} "
        f"{denial_reason(decision, with_policy_arn=with_policy_arn)}"
    )


def explain(decision: Decision) -> str:
    """A few lines for people: the outcome, which policy decided, and where."""
    lines = [f"{decision.outcome}: {decision.action} on {decision.resource}"]
    if decision.outcome != "allowed":
        lines.append(f"  {denial_reason(decision)}")
    elif decision.deciding_policy_type:
        lines.append(f"  allowed by {_PHRASES[decision.deciding_policy_type][1]}")
    for m in decision.matched:
        sid = f" ({m.sid})" if m.sid else ""
        lines.append(
            f"  {m.effect} statement {m.statement_index}{sid} in {m.policy_type} "
            f"{m.source_type} {m.source_id}, lines {m.start.line}:{m.start.column}"
            f"-{m.end.line}:{m.end.column}"
        )
    for label, value in (
        ("permissions boundary", decision.allowed_by_boundary),
        ("session policy", decision.allowed_by_session),
        ("organizations", decision.allowed_by_organizations),
    ):
        if value is not None:
            lines.append(f"  {label}: {'allows' if value else 'does not allow'}")
    if decision.missing_context_keys:
        lines.append("  missing context keys: " + ", ".join(decision.missing_context_keys))
    return "\n".join(lines)

"""Passwords of IAM users: the account password policy, and ChangePassword.

Passwords are argon2id hashes (auth/password.py); a password is never logged,
stored in the clear or returned. Every password set (by CreateLoginProfile,
UpdateLoginProfile or ChangePassword) is also remembered, as a hash, for the
policy's PasswordReusePrevention, which ChangePassword enforces.
"""

from __future__ import annotations

from gatehold.auth import password_rules
from gatehold.auth.password import hash_password, verify_password
from gatehold.context import PrincipalKind
from gatehold.services.call import Call, Handler, Params, Result
from gatehold.services.iam.common import authorization_changed
from gatehold.services.iam.errors import no_such_entity
from gatehold.services.iam.identity_errors import (
    invalid_user_type,
    no_such_login_profile,
    old_password_incorrect,
    password_violation,
)
from gatehold.store import accounts, login_profiles, password_policy
from gatehold.store.records import PasswordPolicy

# GetAccountPasswordPolicy with none set: the text AWS sends (aws/aws-cli#7265).
NO_POLICY = "The Password Policy with domain name {account} cannot be found."
# DeleteAccountPasswordPolicy with none set; not confirmed against AWS.
NO_POLICY_TO_DELETE = "The account policy with name PasswordPolicy cannot be found."


def check_new_password(call: Call, password: str) -> None:
    """PasswordPolicyViolation unless `password` conforms to the account's policy
    (or AWS's default policy, which forbids the account's name and email)."""
    account_id = call.ctx.principal.account_id
    policy = password_policy.get(call.db, account_id)
    account = accounts.get(call.db, account_id)
    identities = [account.root_email, account.alias or ""] if account else []
    message = password_rules.violation_message(password, policy, identities)
    if message:
        raise password_violation(message)


def store_password(call: Call, user_id: str, password: str) -> str:
    """Hash a new password and remember it for reuse prevention; the hash."""
    password_hash = hash_password(password)
    login_profiles.remember_password(call.db, user_id, password_hash, call.ctx.now)
    return password_hash


def _reused(call: Call, user_id: str, password: str, policy: PasswordPolicy | None) -> bool:
    count = policy.password_reuse_prevention if policy else None
    if not count:
        return False
    return any(
        verify_password(h, password)
        for h in login_profiles.recent_password_hashes(call.db, user_id, count)
    )


def change_password(call: Call, params: Params) -> Result:
    p = call.ctx.principal
    if p.kind is not PrincipalKind.USER:
        raise invalid_user_type()
    policy = password_policy.get(call.db, p.account_id)
    # AllowUsersToChangePassword grants every user iam:ChangePassword on themselves
    # (IAM User Guide, "Permit IAM users to change their own password"); without
    # it the caller needs the permission from a policy.
    if not (policy and policy.allow_users_to_change_password):
        call.authorize("iam:ChangePassword", p.arn)
    profile = login_profiles.get(call.db, p.user_id)
    if profile is None:
        raise no_such_login_profile(p.user_name or "")
    if not verify_password(profile.password_hash, params["OldPassword"]):
        raise old_password_incorrect()
    new = params["NewPassword"]
    check_new_password(call, new)
    if _reused(call, p.user_id, new, policy):
        raise password_violation(password_rules.REUSE_MESSAGE)
    login_profiles.update(
        call.db,
        p.user_id,
        password_hash=store_password(call, p.user_id, new),
        password_reset_required=False,
        password_changed_at=call.ctx.now,
    )
    return {}


def update_account_password_policy(call: Call, params: Params) -> Result:
    call.authorize("iam:UpdateAccountPasswordPolicy", "*")
    # Every parameter left out takes its default (API reference): the call replaces
    # the whole policy, it does not merge.
    policy = PasswordPolicy(
        minimum_password_length=params.get("MinimumPasswordLength") or 6,
        require_symbols=bool(params.get("RequireSymbols")),
        require_numbers=bool(params.get("RequireNumbers")),
        require_uppercase=bool(params.get("RequireUppercaseCharacters")),
        require_lowercase=bool(params.get("RequireLowercaseCharacters")),
        allow_users_to_change_password=bool(params.get("AllowUsersToChangePassword")),
        max_password_age=params.get("MaxPasswordAge"),
        password_reuse_prevention=params.get("PasswordReusePrevention"),
        hard_expiry=params.get("HardExpiry"),
    )
    password_policy.put(call.db, call.ctx.principal.account_id, policy)
    # AllowUsersToChangePassword decides who may call ChangePassword.
    authorization_changed(call)
    return {}


def get_account_password_policy(call: Call, params: Params) -> Result:
    call.authorize("iam:GetAccountPasswordPolicy", "*")
    account_id = call.ctx.principal.account_id
    policy = password_policy.get(call.db, account_id)
    if policy is None:
        raise no_such_entity(NO_POLICY.format(account=account_id))
    shape: Result = {
        "MinimumPasswordLength": policy.minimum_password_length,
        "RequireSymbols": policy.require_symbols,
        "RequireNumbers": policy.require_numbers,
        "RequireUppercaseCharacters": policy.require_uppercase,
        "RequireLowercaseCharacters": policy.require_lowercase,
        "AllowUsersToChangePassword": policy.allow_users_to_change_password,
        "ExpirePasswords": policy.max_password_age is not None,
    }
    if policy.max_password_age is not None:
        shape["MaxPasswordAge"] = policy.max_password_age
    if policy.password_reuse_prevention is not None:
        shape["PasswordReusePrevention"] = policy.password_reuse_prevention
    if policy.hard_expiry is not None:
        shape["HardExpiry"] = policy.hard_expiry
    return {"PasswordPolicy": shape}


def delete_account_password_policy(call: Call, params: Params) -> Result:
    call.authorize("iam:DeleteAccountPasswordPolicy", "*")
    if not password_policy.delete(call.db, call.ctx.principal.account_id):
        raise no_such_entity(NO_POLICY_TO_DELETE)
    authorization_changed(call)
    return {}


HANDLERS: dict[str, Handler] = {
    "ChangePassword": change_password,
    "UpdateAccountPasswordPolicy": update_account_password_policy,
    "GetAccountPasswordPolicy": get_account_password_policy,
    "DeleteAccountPasswordPolicy": delete_account_password_policy,
}

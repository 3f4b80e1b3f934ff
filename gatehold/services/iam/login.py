"""Login profiles (console passwords of IAM users): operations named after the API.

The password operations that are not about one profile (ChangePassword and the
account password policy) live in passwords.py and are registered here too.
"""

from __future__ import annotations

from typing import Any

from gatehold.services.call import Call, Handler, Params, Result
from gatehold.services.iam import passwords
from gatehold.services.iam.identity_errors import (
    login_profile_exists,
    missing,
    no_such_login_profile,
)
from gatehold.services.iam.targets import authorize_user, authorize_user_or_caller
from gatehold.store import login_profiles
from gatehold.store.login_profiles import LoginProfile
from gatehold.store.records import User


def profile_shape(user: User, profile: LoginProfile) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "UserName": user.user_name,
        "CreateDate": profile.created_at,
        "PasswordResetRequired": profile.password_reset_required,
    }
    if profile.max_signin_session_duration is not None:
        shape["MaxSigninSessionDuration"] = profile.max_signin_session_duration
    return shape


def _user_or_caller(call: Call, action: str, params: Params) -> User:
    """The named user or the calling user. botocore models UserName as optional for
    AWS's centralized root access (an AssumeRoot session), which gatehold does not
    have: the root user must name the user."""
    target = authorize_user_or_caller(call, action, params.get("UserName"))
    if target.user is None:
        raise missing("userName")
    return target.user


def create_login_profile(call: Call, params: Params) -> Result:
    user = _user_or_caller(call, "iam:CreateLoginProfile", params)
    password = params.get("Password")
    if password is None:
        raise missing("password")
    if login_profiles.exists(call.db, user.user_id):
        raise login_profile_exists(user.user_name)
    passwords.check_new_password(call, password)
    now = call.ctx.now
    profile = LoginProfile(
        user_id=user.user_id,
        password_hash=passwords.store_password(call, user.user_id, password),
        password_reset_required=bool(params.get("PasswordResetRequired")),
        created_at=now,
        password_changed_at=now,
        max_signin_session_duration=params.get("MaxSigninSessionDuration"),
    )
    login_profiles.insert(call.db, profile)
    return {"LoginProfile": profile_shape(user, profile)}


def get_login_profile(call: Call, params: Params) -> Result:
    user = _user_or_caller(call, "iam:GetLoginProfile", params)
    profile = login_profiles.get(call.db, user.user_id)
    if profile is None:
        raise no_such_login_profile(user.user_name)
    return {"LoginProfile": profile_shape(user, profile)}


def update_login_profile(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:UpdateLoginProfile", params["UserName"])
    if not login_profiles.exists(call.db, user.user_id):
        raise no_such_login_profile(user.user_name)
    changes: dict[str, Any] = {}
    if params.get("PasswordResetRequired") is not None:
        changes["password_reset_required"] = params["PasswordResetRequired"]
    if params.get("ResetMaxSigninSessionDuration"):
        changes["max_signin_session_duration"] = None
    elif params.get("MaxSigninSessionDuration") is not None:
        changes["max_signin_session_duration"] = params["MaxSigninSessionDuration"]
    password = params.get("Password")
    if password is not None:
        passwords.check_new_password(call, password)
        changes["password_hash"] = passwords.store_password(call, user.user_id, password)
        changes["password_changed_at"] = call.ctx.now
    if changes:
        login_profiles.update(call.db, user.user_id, **changes)
    return {}


def delete_login_profile(call: Call, params: Params) -> Result:
    user = _user_or_caller(call, "iam:DeleteLoginProfile", params)
    if not login_profiles.exists(call.db, user.user_id):
        raise no_such_login_profile(user.user_name)
    login_profiles.delete(call.db, user.user_id)
    return {}


HANDLERS: dict[str, Handler] = {
    "CreateLoginProfile": create_login_profile,
    "GetLoginProfile": get_login_profile,
    "UpdateLoginProfile": update_login_profile,
    "DeleteLoginProfile": delete_login_profile,
    **passwords.HANDLERS,
}

"""The console's administration pages and switch role over plain HTTP against a real
`gatehold serve`: forms posted with their CSRF token, redirects followed, and the
outcome checked through the IAM API (boto3) as an administrator would check it."""

from __future__ import annotations

import html
import html.parser
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.audit_events import wait_for
from tests.support.aws import unique
from tests.support.console import INCORRECT, PASSWORD, add_mfa, make_user
from tests.support.console_http import Browser, Page, sign_in
from tests.support.servers import ROOT_PASSWORD, RunningServer

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
NEW_PASSWORD = "An0ther-Valid-Passw0rd!"
BAD_JSON = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*"'
GOOD_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}],
    }
)

Opener = Callable[[], Browser]


@pytest.fixture(scope="module")
def browser_for(server: RunningServer) -> Opener:
    return lambda: Browser(f"http://127.0.0.1:{server.port}")


def console_user(
    server: RunningServer, *policies: str, inline: dict[str, Any] | None = None
) -> str:
    name = make_user(server)
    iam = server.client("iam")
    for arn in policies:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(inline))
    return name


def signed_in(server: RunningServer, browser_for: Opener, name: str) -> Browser:
    b = browser_for()
    assert sign_in(b, server.account_id, name, PASSWORD).path == "/console"
    return b


def post(b: Browser, page_path: str, action: str, **values: str) -> Page:
    """Open `page_path`, then post one of its forms (`action`) with the page's CSRF token."""
    page = b.get(page_path)
    assert page.status == 200, page.body
    return b.post(action, {"csrf_token": page.fields().inputs["csrf_token"], **values})


def api_error(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call()
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def admin(server: RunningServer) -> str:
    return console_user(server, ADMIN)


class _Controls(html.parser.HTMLParser):
    """The form controls of a page that no label names (for= or wrapping)."""

    def __init__(self) -> None:
        super().__init__()
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, bool]] = []  # (id or name, inside a label)
        self._labels = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self._labels += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden",):
            self.controls.append((a.get("id") or a.get("name") or tag, self._labels > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._labels -= 1

    def unlabelled(self) -> list[str]:
        return [c for c, wrapped in self.controls if not wrapped and c not in self.label_for]


def test_every_field_has_a_visible_label(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    iam = server.client("iam")
    role = unique("labels")
    iam.create_role(
        RoleName=role, AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{server.account_id}:root")
    )
    b = signed_in(server, browser_for, admin)
    group = unique("labels")
    post(b, "/console/iam/groups", "/console/iam/groups", group_name=group)
    policy = f"arn:aws:iam::{server.account_id}:policy/{unique('labels')}"
    iam.create_policy(PolicyName=policy.rsplit("/", 1)[1], PolicyDocument=GOOD_POLICY)
    for path in (
        "/console/iam/users",
        "/console/iam/create-user",
        f"/console/iam/users/{admin}",
        "/console/iam/groups",
        f"/console/iam/groups/{group}",
        "/console/iam/roles",
        "/console/iam/create-role",
        f"/console/iam/roles/{role}",
        "/console/iam/policies",
        "/console/iam/create-policy",
        f"/console/iam/policies/view?arn={policy}",
        f"/console/iam/policies/view?arn={ADMIN}",
        "/console/switch-role",
    ):
        page = b.get(path)
        assert page.status == 200, path
        controls = _Controls()
        controls.feed(page.body)
        assert controls.unlabelled() == [], path


# ---- users ---------------------------------------------------------------------------


def test_create_user_with_a_password_that_must_be_changed(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    form = b.get("/console/iam/create-user")
    assert {"User name", "Password"} <= set(form.fields().labels)
    assert "Require password reset at next sign-in" in form.body
    name = unique("alice")
    page = post(
        b,
        "/console/iam/create-user",
        "/console/iam/create-user",
        user_name=name,
        console="custom",
        password=PASSWORD,
        require_reset="on",
    )
    assert page.path == f"/console/iam/users/{name}" and page.status == 200
    assert "The user was created." in page.body
    assert "password reset required at next sign-in" in page.body
    iam = server.client("iam")
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"]
    # As AWS's console does: the user may change the password it must change.
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["IAMUserChangePassword"]
    # The user's sign-in is forced to change the password, and the change works.
    user = browser_for()
    assert sign_in(user, server.account_id, name, PASSWORD).path == "/signin/new-password"
    page = user.submit(
        "/signin/new-password",
        old_password=PASSWORD,
        new_password=NEW_PASSWORD,
        retype_password=NEW_PASSWORD,
    )
    assert page.path == "/console"


def test_a_generated_password_is_shown_once_and_signs_in(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    name = unique("gen")
    page = post(
        b,
        "/console/iam/create-user",
        "/console/iam/create-user",
        user_name=name,
        console="autogenerated",
    )
    assert page.status == 200 and "only time it is shown" in page.body
    assert page.headers["Cache-Control"] == "no-store"
    shown = page.body.split('id="generated-password" class="secret">')[1].split("<")[0]
    password = html.unescape(shown)
    assert len(password) >= 20
    assert password not in b.get(f"/console/iam/users/{name}").body
    assert sign_in(browser_for(), server.account_id, name, password).path == "/console"


def test_a_refused_password_creates_no_user(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    name = unique("weak")
    iam = server.client("iam")
    expected = api_error(lambda: iam.update_login_profile(UserName=admin, Password="x"))
    page = post(
        b,
        "/console/iam/create-user",
        "/console/iam/create-user",
        user_name=name,
        console="custom",
        password="x",
    )
    assert page.status == 400 and expected[1] in page.body, page.body
    assert api_error(lambda: iam.get_user(UserName=name))[0] == "NoSuchEntity"


def test_attach_and_detach_a_policy_by_name(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    name = make_user(server)
    path = f"/console/iam/users/{name}"
    page = post(b, path, f"{path}/policies/attach", policy="ReadOnlyAccess")
    assert "The policy was attached." in page.body
    iam = server.client("iam")
    arns = [
        p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    ]
    assert arns == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    post(b, path, f"{path}/policies/detach", policy_arn=arns[0])
    assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []
    # An unknown policy: AWS's NoSuchEntity text, nothing attached.
    page = post(b, path, f"{path}/policies/attach", policy="NoSuchPolicyAnywhere")
    assert page.status == 404 and "does not exist or is not attachable" in page.body


def test_groups_membership_from_both_sides(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    group, name = unique("devs"), make_user(server)
    page = post(b, "/console/iam/groups", "/console/iam/groups", group_name=group)
    assert page.path == f"/console/iam/groups/{group}"
    post(b, page.path, f"{page.path}/members/add", user_name=name)
    post(b, page.path, f"{page.path}/policies/attach", policy="IAMReadOnlyAccess")
    iam = server.client("iam")
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [name]
    assert group in b.get(f"/console/iam/users/{name}").body
    user_path = f"/console/iam/users/{name}"
    post(b, user_path, f"{user_path}/groups/remove", group_name=group)
    assert iam.get_group(GroupName=group)["Users"] == []
    # A group with an attached policy cannot be deleted: AWS's DeleteConflict, shown.
    expected = api_error(lambda: iam.delete_group(GroupName=group))
    page = post(b, page.path, f"{page.path}/delete")
    assert page.status == 409 and expected[1] in page.body


def test_deleting_a_user_shows_the_conflict_or_removes_dependents(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    name = make_user(server)
    iam = server.client("iam")
    iam.create_access_key(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn=READ_ONLY)
    add_mfa(server, name)
    path = f"/console/iam/users/{name}"
    page = post(b, path, f"{path}/delete")
    assert page.status == 409 and "DeleteConflict" in page.body
    assert "Cannot delete entity, must delete login profile first." in page.body, page.body
    assert iam.get_user(UserName=name)
    page = post(b, path, f"{path}/delete", with_dependents="on")
    assert page.path == "/console/iam/users" and "The user was deleted." in page.body
    assert api_error(lambda: iam.get_user(UserName=name))[0] == "NoSuchEntity"


def test_deactivate_a_lost_mfa_device(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    name = make_user(server)
    serial, _ = add_mfa(server, name)
    assert sign_in(browser_for(), server.account_id, name, PASSWORD).path == "/signin/mfa"
    b = signed_in(server, browser_for, admin)
    path = f"/console/iam/users/{name}"
    assert serial in b.get(path).body
    page = post(b, path, f"{path}/mfa/deactivate", serial_number=serial)
    assert "The MFA device was deactivated." in page.body
    assert server.client("iam").list_mfa_devices(UserName=name)["MFADevices"] == []
    assert sign_in(browser_for(), server.account_id, name, PASSWORD).path == "/console"


def test_remove_console_access(server: RunningServer, browser_for: Opener, admin: str) -> None:
    b = signed_in(server, browser_for, admin)
    name = make_user(server)
    path = f"/console/iam/users/{name}"
    page = post(b, path, f"{path}/password/remove")
    assert "Console access was removed." in page.body
    assert INCORRECT in sign_in(browser_for(), server.account_id, name, PASSWORD).body


# ---- a principal without permission ------------------------------------------------------


def test_read_only_user_sees_the_pages_but_changes_nothing(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    reader = console_user(server, READ_ONLY)
    b = signed_in(server, browser_for, reader)
    for path in (
        "/console/iam/users",
        "/console/iam/groups",
        "/console/iam/roles",
        "/console/iam/policies",
        f"/console/iam/users/{admin}",
    ):
        page = b.get(path)
        assert page.status == 200 and "not authorized" not in page.body, path
    assert admin in b.get("/console/iam/users").body
    name = unique("nope")
    page = post(b, "/console/iam/create-user", "/console/iam/create-user", user_name=name)
    assert page.status == 403
    assert (
        f"User: arn:aws:iam::{server.account_id}:user/{reader} is not authorized to "
        f"perform: iam:CreateUser on resource: arn:aws:iam::{server.account_id}:user/{name}"
    ) in page.body
    iam = server.client("iam")
    assert api_error(lambda: iam.get_user(UserName=name))[0] == "NoSuchEntity"
    page = post(
        b,
        "/console/iam/create-policy",
        "/console/iam/create-policy",
        policy_name=name,
        policy_document=GOOD_POLICY,
    )
    assert page.status == 403 and "iam:CreatePolicy" in page.body


def test_a_post_without_csrf_token_changes_nothing(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    name = unique("csrf")
    page = b.post("/console/iam/create-user", {"user_name": name})
    assert page.status == 403
    iam = server.client("iam")
    assert api_error(lambda: iam.get_user(UserName=name))[0] == "NoSuchEntity"


# ---- policies --------------------------------------------------------------------------


def test_a_policy_json_error_shows_aws_message_and_creates_nothing(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    iam = server.client("iam")
    name = unique("policy")
    code, message = api_error(lambda: iam.create_policy(PolicyName=name, PolicyDocument=BAD_JSON))
    assert code == "MalformedPolicyDocument"
    form = b.get("/console/iam/create-policy")
    assert "Policy document" in form.fields().labels
    page = post(
        b,
        "/console/iam/create-policy",
        "/console/iam/create-policy",
        policy_name=name,
        policy_document=BAD_JSON,
    )
    assert page.status == 400
    assert f"{message} (MalformedPolicyDocument)" in page.body.replace("&#34;", '"')
    assert BAD_JSON.replace('"', "&#34;") in page.body  # kept in the editor
    local = iam.list_policies(Scope="Local")["Policies"]
    assert name not in [p["PolicyName"] for p in local]


def test_edit_a_policy_new_version_and_default(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    iam = server.client("iam")
    name = unique("policy")
    page = post(
        b,
        "/console/iam/create-policy",
        "/console/iam/create-policy",
        policy_name=name,
        policy_document=GOOD_POLICY,
        description="for tests",
    )
    assert "The policy was created." in page.body
    arn = f"arn:aws:iam::{server.account_id}:policy/{name}"
    view = f"/console/iam/policies/view?arn={arn}"
    # A bad edit: AWS's message, no new version.
    page = post(
        b, view, "/console/iam/policies/edit", arn=arn, policy_document=BAD_JSON, set_default="on"
    )
    assert page.status == 400 and "MalformedPolicyDocument" in page.body
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 1
    second = GOOD_POLICY.replace("iam:GetUser", "iam:ListUsers")
    page = post(
        b, view, "/console/iam/policies/edit", arn=arn, policy_document=second, set_default="on"
    )
    assert "A new version of the policy was saved." in page.body
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert "iam:ListUsers" in page.body and "v1" in page.body
    post(b, view, "/console/iam/policies/set-default", arn=arn, version_id="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    # AWS managed policies are listed and filtered by name.
    page = b.get("/console/iam/policies?scope=AWS&filter=IAMUserChangePass")
    assert "IAMUserChangePassword" in page.body and "AdministratorAccess" not in page.body


# ---- roles -----------------------------------------------------------------------------


def _trust(principal_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def test_create_a_role_and_edit_its_trust_policy(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    b = signed_in(server, browser_for, admin)
    iam = server.client("iam")
    name = unique("role")
    page = post(
        b,
        "/console/iam/create-role",
        "/console/iam/create-role",
        role_name=name,
        trust_policy=BAD_JSON,
        max_session_duration="3600",
    )
    assert page.status == 400 and "MalformedPolicyDocument" in page.body
    assert api_error(lambda: iam.get_role(RoleName=name))[0] == "NoSuchEntity"
    trust = _trust(f"arn:aws:iam::{server.account_id}:user/{admin}")
    page = post(
        b,
        "/console/iam/create-role",
        "/console/iam/create-role",
        role_name=name,
        trust_policy=trust,
        max_session_duration="7200",
    )
    assert page.path == f"/console/iam/roles/{name}"
    assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 7200
    path = page.path
    post(
        b,
        path,
        f"{path}/trust-policy",
        trust_policy=_trust(f"arn:aws:iam::{server.account_id}:root"),
    )
    doc = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    assert doc["Statement"][0]["Principal"]["AWS"].endswith(":root")
    post(b, path, f"{path}/policies/attach", policy="IAMReadOnlyAccess")
    page = post(b, path, f"{path}/session-duration", max_session_duration="60")
    assert page.status == 400  # AWS's validation of MaxSessionDuration
    assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 7200
    page = post(b, path, f"{path}/delete")
    assert page.status == 409 and "DeleteConflict" in page.body


# ---- unlock ----------------------------------------------------------------------------


def _lock_out(server: RunningServer, browser_for: Opener, name: str) -> None:
    for _ in range(5):
        assert INCORRECT in sign_in(browser_for(), server.account_id, name, "wrong").body
    page = sign_in(browser_for(), server.account_id, name, PASSWORD)
    assert page.path == "/signin" and INCORRECT in page.body


def test_admin_unlocks_a_locked_out_user(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    name = make_user(server)
    _lock_out(server, browser_for, name)
    b = signed_in(server, browser_for, admin)
    path = f"/console/iam/users/{name}"
    assert "Locked out of the console after 5 failed sign-ins." in b.get(path).body
    page = post(b, path, f"{path}/unlock")
    assert "The user was unlocked" in page.body and "Locked out" not in page.body
    assert sign_in(browser_for(), server.account_id, name, PASSWORD).path == "/console"
    (unlocked,) = wait_for(
        server,
        "EventName",
        "ConsoleLoginUnlock",
        lambda r: r["userIdentity"].get("userName") == name,
    )
    assert unlocked["additionalEventData"]["UnlockedBy"] == (
        f"arn:aws:iam::{server.account_id}:user/{admin}"
    )


def test_unlock_needs_update_login_profile(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "iam:UpdateLoginProfile", "Resource": "*"}],
    }
    helper = console_user(server, ADMIN, inline=deny)
    name = make_user(server)
    _lock_out(server, browser_for, name)
    b = signed_in(server, browser_for, helper)
    path = f"/console/iam/users/{name}"
    page = post(b, path, f"{path}/unlock")
    assert page.status == 403
    assert (
        "is not authorized to perform: iam:UpdateLoginProfile on resource: "
        f"arn:aws:iam::{server.account_id}:user/{name} with an explicit deny"
    ) in page.body
    page = sign_in(browser_for(), server.account_id, name, PASSWORD)
    assert page.path == "/signin" and INCORRECT in page.body


# ---- switch role -----------------------------------------------------------------------


def test_switch_role_acts_as_the_role_until_back(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    iam = server.client("iam")
    role = unique("viewer")
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{server.account_id}:user/{admin}"),
    )
    iam.attach_role_policy(RoleName=role, PolicyArn=READ_ONLY)
    b = signed_in(server, browser_for, admin)
    form = b.get("/console/switch-role")
    assert {"Account", "Role", "Display name"} <= set(form.fields().labels)
    page = post(
        b,
        "/console/switch-role",
        "/console/switch-role",
        account=server.account_id,
        role=role,
        display_name="Viewer",
    )
    assert page.path == "/console"
    assert f"Role: Viewer @ {server.account_id}" in page.body
    assert f"Back to {admin}" in page.body
    # Now every action is the role's: it may read but not create users.
    assert page.status == 200 and b.get("/console/iam/users").status == 200
    name = unique("as-role")
    page = post(b, "/console/iam/create-user", "/console/iam/create-user", user_name=name)
    assert page.status == 403
    assert (
        f"User: arn:aws:sts::{server.account_id}:assumed-role/{role}/{admin} is not "
        "authorized to perform: iam:CreateUser"
    ) in page.body
    assert api_error(lambda: iam.get_user(UserName=name))[0] == "NoSuchEntity"
    # The role was used: AssumeRole ran through STS.
    assert iam.get_role(RoleName=role)["Role"]["RoleLastUsed"].get("LastUsedDate")
    # Back to the user: the administrator's own permissions again.
    page = post(b, "/console", "/console/switch-role/exit")
    assert page.path == "/console" and "Role: Viewer" not in page.body
    page = post(b, "/console/iam/create-user", "/console/iam/create-user", user_name=name)
    assert page.path == f"/console/iam/users/{name}"
    # CloudTrail: SwitchRole and ExitRole, as the role session, from the admin.
    session_arn = f"arn:aws:sts::{server.account_id}:assumed-role/{role}/{admin}"
    switched = wait_for(
        server, "EventName", "SwitchRole", lambda r: r["userIdentity"].get("arn") == session_arn
    )
    assert switched[0]["eventSource"] == "signin.amazonaws.com"
    assert switched[0]["responseElements"] == {"SwitchRole": "Success"}
    assert switched[0]["userIdentity"]["type"] == "AssumedRole"
    assert switched[0]["additionalEventData"]["SwitchFrom"] == (
        f"arn:aws:iam::{server.account_id}:user/{admin}"
    )
    exited = wait_for(
        server, "EventName", "ExitRole", lambda r: r["userIdentity"].get("arn") == session_arn
    )
    assert exited[0]["responseElements"] == {"ExitRole": "Success"}


def test_switch_role_refused_by_the_trust_policy(
    server: RunningServer, browser_for: Opener, admin: str
) -> None:
    iam = server.client("iam")
    role = unique("closed")
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{server.account_id}:user/someone-else"),
    )
    b = signed_in(server, browser_for, admin)
    page = post(
        b,
        "/console/switch-role",
        "/console/switch-role",
        account=server.account_id,
        role=role,
        display_name="",
    )
    assert page.status == 403
    assert (
        f"User: arn:aws:iam::{server.account_id}:user/{admin} is not authorized to "
        f"perform: sts:AssumeRole on resource: arn:aws:iam::{server.account_id}:role/{role}"
    ) in page.body
    assert "Role: " not in b.get("/console").body
    # An account that does not exist: AWS console's answer, nothing switched.
    page = post(
        b, "/console/switch-role", "/console/switch-role", account="no-such-alias", role=role
    )
    assert page.status == 400 and "Invalid information in one or more fields" in page.body


def test_switch_role_needs_the_users_own_permission(
    server: RunningServer, browser_for: Opener
) -> None:
    """A trust policy naming the account delegates to the user's identity policies: a
    user without sts:AssumeRole is refused."""
    iam = server.client("iam")
    role = unique("acct")
    iam.create_role(
        RoleName=role, AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{server.account_id}:root")
    )
    reader = console_user(server, READ_ONLY)
    b = signed_in(server, browser_for, reader)
    page = post(
        b, "/console/switch-role", "/console/switch-role", account=server.account_id, role=role
    )
    assert page.status == 403 and "sts:AssumeRole" in page.body


def test_the_user_list_is_paged(server: RunningServer, browser_for: Opener, admin: str) -> None:
    iam = server.client("iam")
    for _ in range(51):
        iam.create_user(UserName=unique("many"))
    b = signed_in(server, browser_for, admin)
    first = b.get("/console/iam/users")
    assert first.body.count('<a href="/console/iam/users/') == 50
    link = first.body.split('<a href="/console/iam/users?marker=')[1].split('"')[0]
    second = b.get("/console/iam/users?marker=" + link.replace("&amp;", "&"))
    names = {
        line.split(">")[1].split("<")[0]
        for body in (first.body, second.body)
        for line in body.split('<a href="/console/iam/users/')[1:]
    }
    total = sum(len(p["Users"]) for p in iam.get_paginator("list_users").paginate())
    assert len(names) == total


def test_root_administers_but_cannot_switch_role(
    server: RunningServer, browser_for: Opener
) -> None:
    b = browser_for()
    b.get("/signin?type=root")
    page = b.submit("/signin", root_email="root@example.com", password=ROOT_PASSWORD)
    assert page.path == "/console"
    name = unique("by-root")
    page = post(b, "/console/iam/create-user", "/console/iam/create-user", user_name=name)
    assert page.path == f"/console/iam/users/{name}"
    page = post(
        b, "/console/switch-role", "/console/switch-role", account=server.account_id, role="any"
    )
    assert page.status == 403 and "Roles may not be assumed by root accounts." in page.body

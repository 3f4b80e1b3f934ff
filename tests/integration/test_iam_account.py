"""Account-level IAM operations through boto3: the credential report, the account
summary with real counts, the account alias and the STS token preference.

The credential-report tests come first: a module shares one server, and the
first of them sees an account that never generated a report.
"""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from gatehold.auth.password import hash_password
from gatehold.store import accounts, schema
from gatehold.store.db import Store, sqlite_url
from tests.support.certs import issue, rsa_key, saml_metadata
from tests.support.seed import add_root_key, add_user_with_key
from tests.support.servers import RunningServer

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
COLUMNS = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
ASSUME_EC2 = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)
POLICY = (
    '{"Version":"2012-10-17","Statement":'
    '[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}'
)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    r = exc.value.response
    return (
        r["ResponseMetadata"]["HTTPStatusCode"],
        r["Error"]["Code"],
        r["Error"].get("Message", ""),
    )


def _in_store(server: RunningServer, work: Any) -> Any:
    store = Store.open(server.database_url or sqlite_url(server.data_dir))
    try:
        with store.transaction() as db:
            return work(db)
    finally:
        store.dispose()


def _enable_mfa(iam: Any, user: str) -> None:
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=_name("phone"))["VirtualMFADevice"]
    app, now = pyotp.TOTP(device["Base32StringSeed"].decode()), time.time()
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=app.at(now - 30),
        AuthenticationCode2=app.at(now),
    )


# --- credential report ------------------------------------------------------------------


def test_credential_report_before_any_was_generated(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_credential_report()
    assert _error(exc) == (410, "ReportNotPresent", "")


def test_credential_report_rows_follow_awss_format(iam: Any, server: RunningServer) -> None:
    full, bare = _name("alice"), _name("bob")
    iam.create_user(UserName=full)
    iam.create_user(UserName=bare)
    iam.create_login_profile(UserName=full, Password="Str0ng-Passw0rd!x")
    first = iam.create_access_key(UserName=full)["AccessKey"]
    iam.update_access_key(UserName=full, AccessKeyId=first["AccessKeyId"], Status="Inactive")
    iam.create_access_key(UserName=full)
    iam.upload_signing_certificate(UserName=full, CertificateBody=issue("report", rsa_key(9)).pem)
    _enable_mfa(iam, full)

    started = iam.generate_credential_report()
    assert (started["State"], started["Description"]) == (
        "STARTED",
        "No report exists. Starting a new report generation task",
    )
    assert iam.generate_credential_report()["State"] == "COMPLETE"  # at most one per 4 hours
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    assert abs(datetime.now(UTC) - report["GeneratedTime"]) < timedelta(minutes=2)
    lines = report["Content"].decode().splitlines()
    assert lines[0] == COLUMNS
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))

    root = rows[0]
    assert root["user"] == "<root_account>"
    assert root["arn"] == f"arn:aws:iam::{server.account_id}:root"
    assert ISO.match(root["user_creation_time"])
    assert (
        root["password_enabled"],
        root["password_last_changed"],
        root["password_next_rotation"],
    ) == ("not_supported", "not_supported", "not_supported")

    alice = next(r for r in rows if r["user"] == full)
    assert alice["password_enabled"] == "true"
    assert alice["password_last_used"] == "no_information"
    assert ISO.match(alice["password_last_changed"])
    assert alice["password_next_rotation"] == "N/A"
    assert alice["mfa_active"] == "true"
    assert (alice["access_key_1_active"], alice["access_key_2_active"]) == ("false", "true")
    assert ISO.match(alice["access_key_1_last_rotated"]) and ISO.match(
        alice["access_key_2_last_rotated"]
    )
    assert alice["access_key_1_last_used_date"] == "N/A"
    assert (alice["cert_1_active"], alice["cert_2_active"]) == ("true", "false")
    assert ISO.match(alice["cert_1_last_rotated"]) and alice["cert_2_last_rotated"] == "N/A"

    bob = next(r for r in rows if r["user"] == bare)
    assert [bob[c] for c in COLUMNS.split(",")[3:]] == [
        "false", "N/A", "N/A", "N/A", "false",
        "false", "N/A", "N/A", "N/A", "N/A",
        "false", "N/A", "N/A", "N/A", "N/A",
        "false", "N/A", "false", "N/A",
    ]  # fmt: skip
    names = [r["user"] for r in rows[1:]]
    assert names == sorted(names, key=str.lower)


def test_credential_report_expires_after_four_hours(iam: Any, server: RunningServer) -> None:
    iam.generate_credential_report()  # whether or not one existed, a report exists now
    table = schema.credential_reports
    old = datetime.now(UTC) - timedelta(hours=5)
    _in_store(server, lambda db: db.execute(table.update().values(generated_at=old)))
    with pytest.raises(ClientError) as exc:
        iam.get_credential_report()
    assert _error(exc)[:2] == (410, "ReportExpired")
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.get_credential_report()["Content"].startswith(b"user,arn,")


def test_credential_report_is_denied_without_permission(server: RunningServer) -> None:
    denied = server.client("iam", keys=add_user_with_key(server, _name("auditor")))
    for call in (denied.generate_credential_report, denied.get_credential_report):
        with pytest.raises(ClientError) as exc:
            call()
        assert _error(exc)[:2] == (403, "AccessDenied")


# --- account summary ------------------------------------------------------------------------


def test_account_summary_quotas_are_awss_defaults(iam: Any) -> None:
    summary = iam.get_account_summary()["SummaryMap"]
    assert {k: v for k, v in summary.items() if k.endswith("Quota")} == {
        "AccessKeysPerUserQuota": 2, "AssumeRolePolicySizeQuota": 2048,
        "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
        "AttachedPoliciesPerUserQuota": 10, "GroupPolicySizeQuota": 5120, "GroupsPerUserQuota": 10,
        "GroupsQuota": 300, "InstanceProfilesQuota": 1000, "PoliciesQuota": 1500,
        "PolicySizeQuota": 6144, "PolicyVersionsInUseQuota": 10000, "RolePolicySizeQuota": 10240,
        "RolesQuota": 1000, "ServerCertificatesQuota": 20, "SigningCertificatesPerUserQuota": 2,
        "UserPolicySizeQuota": 2048, "UsersQuota": 5000, "VersionsPerPolicyQuota": 5,
    }  # fmt: skip
    assert summary["GlobalEndpointTokenVersion"] == 1
    assert summary["AccountPasswordPresent"] == 1


def test_account_summary_counts_what_the_account_holds(iam: Any, server: RunningServer) -> None:
    before = iam.get_account_summary()["SummaryMap"]
    user, role = _name("sum-user"), _name("sum-role")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=_name("sum-group"))
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=ASSUME_EC2)
    policy = iam.create_policy(PolicyName=_name("sum-policy"), PolicyDocument=POLICY)["Policy"][
        "Arn"
    ]
    iam.attach_role_policy(RoleName=role, PolicyArn=policy)
    iam.create_instance_profile(InstanceProfileName=_name("sum-profile"))
    iam.create_open_id_connect_provider(
        Url=f"https://{_name('sum')}.example.com", ThumbprintList=["a" * 40]
    )
    iam.create_saml_provider(Name=_name("sum-saml"), SAMLMetadataDocument=saml_metadata())
    leaf = issue("summary", rsa_key(13))
    iam.upload_server_certificate(
        ServerCertificateName=_name("sum-cert"), CertificateBody=leaf.pem, PrivateKey=leaf.key_pem
    )
    _enable_mfa(iam, user)
    iam.create_virtual_mfa_device(VirtualMFADeviceName=_name("spare"))
    after = iam.get_account_summary()["SummaryMap"]
    deltas = {k: after[k] - before[k] for k in after if not k.endswith("Quota")}
    assert deltas == {
        "Users": 1, "Groups": 1, "Roles": 1, "Policies": 1, "PolicyVersionsInUse": 1,
        "InstanceProfiles": 1, "Providers": 2, "ServerCertificates": 1, "MFADevices": 2,
        "MFADevicesInUse": 1, "AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0,
        "AccountPasswordPresent": 0, "AccountSigningCertificatesPresent": 0,
        "GlobalEndpointTokenVersion": 0,
    }  # fmt: skip


def test_account_summary_reports_the_root_users_credentials(
    iam: Any, server: RunningServer
) -> None:
    root = server.client("iam", keys=add_root_key(server))
    summary = root.get_account_summary()["SummaryMap"]
    assert summary["AccountAccessKeysPresent"] == 1
    cert = root.upload_signing_certificate(CertificateBody=issue("root-cert", rsa_key(14)).pem)
    assert iam.get_account_summary()["SummaryMap"]["AccountSigningCertificatesPresent"] == 1
    root.delete_signing_certificate(CertificateId=cert["Certificate"]["CertificateId"])
    assert iam.get_account_summary()["SummaryMap"]["AccountSigningCertificatesPresent"] == 0

    def root_mfa(db: Any) -> None:
        now = datetime.now(UTC)
        db.execute(
            schema.mfa_devices.insert().values(
                serial_number=f"arn:aws:iam::{server.account_id}:mfa/root-account-mfa-device",
                account_id=server.account_id, kind="virtual", device_name="root-account-mfa-device",
                path="/", user_type="root", user_id=None, created_at=now, enabled_at=now,
            )
        )  # fmt: skip

    _in_store(server, root_mfa)
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 1


def test_sts_token_preference_shows_in_the_summary(iam: Any) -> None:
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1


def test_account_summary_is_denied_without_permission(server: RunningServer) -> None:
    denied = server.client("iam", keys=add_user_with_key(server, _name("nosummary")))
    with pytest.raises(ClientError) as exc:
        denied.get_account_summary()
    status, code, message = _error(exc)
    assert (status, code) == (403, "AccessDenied")
    assert "iam:GetAccountSummary on resource: *" in message


# --- account alias -----------------------------------------------------------------------------


def test_account_alias_lifecycle(iam: Any) -> None:
    alias = _name("corp")
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases() | {"ResponseMetadata": None} == {
        "AccountAliases": [alias],
        "IsTruncated": False,
        "ResponseMetadata": None,
    }
    with pytest.raises(ClientError) as exc:
        iam.create_account_alias(AccountAlias=_name("second"))
    assert _error(exc) == (
        409,
        "LimitExceeded",
        "Cannot exceed quota for AccountAliasesPerAccount: 1",
    )
    with pytest.raises(ClientError) as exc:
        iam.delete_account_alias(AccountAlias="not-ours")
    assert _error(exc)[:2] == (404, "NoSuchEntity")
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    iam.delete_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_account_alias_held_by_another_account_is_refused(iam: Any, server: RunningServer) -> None:
    taken = _name("taken")

    def other_account(db: Any) -> None:
        now = datetime.now(UTC)
        accounts.create(db, "999999999999", f"{taken}@example.com", hash_password("x" * 20), now)
        accounts.set_alias(db, "999999999999", taken)

    _in_store(server, other_account)
    with pytest.raises(ClientError) as exc:
        iam.create_account_alias(AccountAlias=taken)
    assert _error(exc)[:2] == (409, "EntityAlreadyExists")
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_account_alias_pattern_is_checked(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_account_alias(AccountAlias="Bad--Alias")
    assert _error(exc)[:2] == (400, "ValidationError")


def test_account_alias_is_denied_without_permission(server: RunningServer) -> None:
    denied = server.client("iam", keys=add_user_with_key(server, _name("noalias")))
    with pytest.raises(ClientError) as exc:
        denied.create_account_alias(AccountAlias=_name("sneaky"))
    assert _error(exc)[:2] == (403, "AccessDenied")

"""The tables, as SQLAlchemy Core metadata.

Names are stored as given and also lower-cased: IAM names are unique without
regard to case ("john" and "JOHN" cannot both exist) but keep the case they were
created with. Every list an API pages through has an index that serves its
order, so a page costs the same with 1k or 100k rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware.

    SQLite keeps no zone and hands back naive datetimes; PostgreSQL hands back
    aware ones. Services compare and serialize them, so both must look the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

# Key/value facts about the store itself: schema version, key check.
meta = Table(
    "gh_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("alias", String(63), unique=True, nullable=True),
    Column("root_email", String(128), nullable=False),
    Column("root_email_lower", String(128), nullable=False, unique=True),
    Column("root_password_hash", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("user_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("user_name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("password_last_used", UtcDateTime(), nullable=True),
    Column("permissions_boundary_arn", String(2048), nullable=True),
    UniqueConstraint("account_id", "user_name_lower", name="uq_users_account_name"),
)
Index("ix_users_account_path_name", users.c.account_id, users.c.path, users.c.user_name_lower)

access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    # NULL user_id: the key belongs to the account's root user.
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=True),
    # The secret, sealed with the operator's key (see store/secretbox.py).
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime(), nullable=True),
    Column("last_used_service", String(64), nullable=True),
    Column("last_used_region", String(32), nullable=True),
)
Index("ix_access_keys_user", access_keys.c.user_id)

# --- IAM entities -------------------------------------------------------------
# Kinds of principal a policy attaches to, or a tag belongs to, are short strings:
# "user", "group", "role" (and for tags also "policy", "instance-profile",
# "oidc-provider", "saml-provider", "mfa", "server-certificate").

groups = Table(
    "iam_groups",
    metadata,
    Column("group_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("group_name", String(128), nullable=False),
    Column("group_name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "group_name_lower", name="uq_groups_account_name"),
)
Index("ix_groups_account_path_name", groups.c.account_id, groups.c.path, groups.c.group_name_lower)

group_members = Table(
    "iam_group_members",
    metadata,
    Column("group_id", String(32), ForeignKey("iam_groups.group_id"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.user_id"), primary_key=True),
    Column("added_at", UtcDateTime(), nullable=False),
)
Index("ix_group_members_user", group_members.c.user_id)

roles = Table(
    "iam_roles",
    metadata,
    Column("role_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("role_name", String(64), nullable=False),
    Column("role_name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("assume_role_policy_document", Text, nullable=False),
    Column("description", String(1000), nullable=True),
    Column("max_session_duration", Integer, nullable=False),
    Column("permissions_boundary_arn", String(2048), nullable=True),
    Column("last_used_at", UtcDateTime(), nullable=True),
    Column("last_used_region", String(32), nullable=True),
    UniqueConstraint("account_id", "role_name_lower", name="uq_roles_account_name"),
)
Index("ix_roles_account_path_name", roles.c.account_id, roles.c.path, roles.c.role_name_lower)

# Customer managed policies (AWS managed ones are packaged data: managed_policies.py).
policies = Table(
    "iam_policies",
    metadata,
    Column("policy_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("policy_name", String(128), nullable=False),
    Column("policy_name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False, unique=True),
    Column("default_version_id", String(16), nullable=False),
    Column("next_version_number", Integer, nullable=False),
    Column("description", String(1000), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "policy_name_lower", name="uq_policies_account_name"),
)
Index(
    "ix_policies_account_path_name",
    policies.c.account_id,
    policies.c.path,
    policies.c.policy_name_lower,
)

policy_versions = Table(
    "iam_policy_versions",
    metadata,
    Column("policy_id", String(32), ForeignKey("iam_policies.policy_id"), primary_key=True),
    Column("version_id", String(16), primary_key=True),
    Column("document", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Managed policies (customer or AWS) attached to users, groups and roles.
policy_attachments = Table(
    "iam_policy_attachments",
    metadata,
    Column("principal_type", String(16), primary_key=True),
    Column("principal_id", String(32), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    Column("attached_at", UtcDateTime(), nullable=False),
)
Index("ix_policy_attachments_arn", policy_attachments.c.policy_arn)

inline_policies = Table(
    "iam_inline_policies",
    metadata,
    Column("principal_type", String(16), primary_key=True),
    Column("principal_id", String(32), primary_key=True),
    Column("policy_name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

tags = Table(
    "iam_tags",
    metadata,
    Column("resource_type", String(32), primary_key=True),
    Column("resource_id", String(2048), primary_key=True),
    # IAM tag keys are unique regardless of case but keep the case they were given.
    Column("tag_key_lower", String(128), primary_key=True),
    Column("tag_key", String(128), nullable=False),
    Column("tag_value", String(256), nullable=False),
    Column("position", Integer, nullable=False),
)

login_profiles = Table(
    "iam_login_profiles",
    metadata,
    Column("user_id", String(32), ForeignKey("users.user_id"), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("password_reset_required", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("password_changed_at", UtcDateTime(), nullable=False),
    # Seconds a console session may last (CreateLoginProfile's MaxSigninSessionDuration);
    # NULL: the default.
    Column("max_signin_session_duration", Integer, nullable=True),
)

password_history = Table(
    "iam_password_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
Index("ix_password_history_user", password_history.c.user_id, password_history.c.created_at)

password_policies = Table(
    "iam_password_policies",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("minimum_password_length", Integer, nullable=False),
    Column("require_symbols", Boolean, nullable=False),
    Column("require_numbers", Boolean, nullable=False),
    Column("require_uppercase", Boolean, nullable=False),
    Column("require_lowercase", Boolean, nullable=False),
    Column("allow_users_to_change_password", Boolean, nullable=False),
    Column("max_password_age", Integer, nullable=True),
    Column("password_reuse_prevention", Integer, nullable=True),
    # NULL when never given: GetAccountPasswordPolicy then leaves HardExpiry out, as AWS does.
    Column("hard_expiry", Boolean, nullable=True),
)

mfa_devices = Table(
    "iam_mfa_devices",
    metadata,
    Column("serial_number", String(2048), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("kind", String(16), nullable=False),  # "virtual" | "u2f"
    Column("device_name", String(256), nullable=False),
    Column("path", String(512), nullable=False),
    # Owner once enabled: user_type "user" (with user_id) or "root"; NULL: unassigned.
    Column("user_type", String(8), nullable=True),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=True),
    Column("seed_sealed", LargeBinary, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("enabled_at", UtcDateTime(), nullable=True),
    # The TOTP time step of the last code accepted: a code is accepted only for a
    # later step, which makes every code single-use.
    Column("last_used_step", Integer, nullable=True),
    # Wrong codes through the API (GetSessionToken, AssumeRole): counted so that
    # stolen access keys cannot guess their way past MFA (see services/sts/common.py).
    Column("failed_codes", Integer, nullable=False, server_default="0"),
    Column("codes_blocked_until", UtcDateTime(), nullable=True),
    # A security key (kind "u2f", gatehold/console/credentials/webauthn_keys.py), added after
    # version 1: its WebAuthn credential ID (base64url), COSE public key, the
    # authenticator's signature counter and transports ("usb,nfc"). NULL for TOTP devices.
    Column("credential_id", String(1400), nullable=True),
    Column("public_key", LargeBinary, nullable=True),
    Column("sign_count", Integer, nullable=True),
    Column("transports", String(128), nullable=True),
)
Index("ix_mfa_devices_user", mfa_devices.c.user_id)
Index("ix_mfa_devices_account", mfa_devices.c.account_id, mfa_devices.c.serial_number)

instance_profiles = Table(
    "iam_instance_profiles",
    metadata,
    Column("instance_profile_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_instance_profiles_account_name"),
)
Index(
    "ix_instance_profiles_account_path_name",
    instance_profiles.c.account_id,
    instance_profiles.c.path,
    instance_profiles.c.name_lower,
)

instance_profile_roles = Table(
    "iam_instance_profile_roles",
    metadata,
    Column(
        "instance_profile_id",
        String(32),
        ForeignKey("iam_instance_profiles.instance_profile_id"),
        primary_key=True,
    ),
    Column("role_id", String(32), ForeignKey("iam_roles.role_id"), primary_key=True),
)
Index("ix_instance_profile_roles_role", instance_profile_roles.c.role_id)

oidc_providers = Table(
    "iam_oidc_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("url", String(255), nullable=False),
    Column("client_ids", Text, nullable=False),  # JSON list
    Column("thumbprints", Text, nullable=False),  # JSON list
    Column("created_at", UtcDateTime(), nullable=False),
    # Trusted identity propagation settings (JSON of the ContextProvider shape) and
    # the Identity Center instance the provider is associated with.
    Column("context_provider", Text, nullable=True),
    Column("identity_center_instance_arn", String(1224), nullable=True),
)
Index("ix_oidc_providers_account", oidc_providers.c.account_id)

saml_providers = Table(
    "iam_saml_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("metadata_document", Text, nullable=False),
    Column("valid_until", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("saml_provider_uuid", String(64), nullable=False),
    Column("assertion_encryption_mode", String(16), nullable=False),
    # JSON list of {"id", "created_at", "sealed"}: the assertion-decryption keys,
    # each sealed with the operator's key (base64 of the sealed bytes).
    Column("private_keys", Text, nullable=False),
    Column("context_provider", Text, nullable=True),
    Column("identity_center_instance_arn", String(1224), nullable=True),
)
Index("ix_saml_providers_account", saml_providers.c.account_id)

ssh_public_keys = Table(
    "iam_ssh_public_keys",
    metadata,
    Column("ssh_public_key_id", String(128), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded_at", UtcDateTime(), nullable=False),
)
Index("ix_ssh_public_keys_user", ssh_public_keys.c.user_id)

signing_certificates = Table(
    "iam_signing_certificates",
    metadata,
    Column("certificate_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=True),  # NULL: root
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded_at", UtcDateTime(), nullable=False),
)
Index("ix_signing_certificates_user", signing_certificates.c.user_id)

server_certificates = Table(
    "iam_server_certificates",
    metadata,
    Column("server_certificate_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("body", Text, nullable=False),
    Column("chain", Text, nullable=True),
    Column("private_key_sealed", LargeBinary, nullable=False),
    Column("expiration", UtcDateTime(), nullable=True),
    Column("uploaded_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_server_certificates_account_name"),
)
Index(
    "ix_server_certificates_account_path_name",
    server_certificates.c.account_id,
    server_certificates.c.path,
    server_certificates.c.name_lower,
)

service_specific_credentials = Table(
    "iam_service_specific_credentials",
    metadata,
    Column("credential_id", String(128), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False),
    Column("service_name", String(128), nullable=False),
    Column("service_user_name", String(200), nullable=False),
    Column("password_sealed", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # API-key style credentials (Bedrock, CloudWatch Logs) may expire and carry an
    # alias in place of a user name.
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("service_credential_alias", String(200), nullable=True),
)
Index("ix_service_specific_credentials_user", service_specific_credentials.c.user_id)

credential_reports = Table(
    "iam_credential_reports",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("generated_at", UtcDateTime(), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

# Raised on every change that can alter an authorization decision, so that caches
# in every worker and every instance can tell in one cheap read whether they are stale.
generations = Table(
    "generations",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("value", Integer, nullable=False),
)


# Console sessions (gatehold/store/console_sessions.py). The row is keyed by a hash of the
# cookie's token, so a copy of the database does not hand out live sessions. A row
# exists from a correct password on: while `stage` is "need_mfa" or
# "need_new_password" it is a sign-in in progress, at "signed_in" a session.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    # NULL: the account's root user.
    Column("user_id", String(32), nullable=True),
    Column("stage", String(24), nullable=False),
    Column("mfa_authenticated", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    # Added after version 1 (migrations.V2_COLUMNS). The role the session switched
    # to (console/signin/role_sessions.py): its STS session token with the display name,
    # sealed with the operator's key; NULL while the session acts as its own user.
    Column("role_session", Text, nullable=True),
)
Index("ix_console_sessions_principal", console_sessions.c.account_id, console_sessions.c.user_id)

# Failed console sign-ins (gatehold/auth/lockout.py): one row per throttled
# subject — "user:<account>:<name>", "root:<email>" or "ip:<address>".
console_signin_failures = Table(
    "console_signin_failures",
    metadata,
    Column("subject", String(600), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UtcDateTime(), nullable=False),
    # NULL: not locked. A far-future value: locked until an administrator unlocks.
    Column("locked_until", UtcDateTime(), nullable=True),
)

# ---- added after version 1 (store/migrations.py, step 2) --------------------------

# The audit log (gatehold/store/audit_segments.py), stored in segments: one row per batch of
# CloudTrail records of one account (a batch the recorder stored together, or the
# one record of a change), with the records' lookup columns as one JSON array and
# the records themselves as one byte string. `seq` numbers segments in the order
# they were stored: the cursor followers (audit/follow.py) and trails read new records by.
# first_time / last_time: the earliest and latest exact time of its records.
# (Replaced audit_events / audit_lookup, a row per record: store/migrations.py, step 3.)
audit_segments = Table(
    "audit_segments",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("first_time", UtcDateTime(), nullable=False),
    Column("last_time", UtcDateTime(), nullable=False),
    Column("count", Integer, nullable=False),
    Column("columns", Text, nullable=False),
    Column("records", LargeBinary, nullable=False),
    # SQLite: never reuse a seq, even once every segment is pruned (followers' cursors)
    sqlite_autoincrement=True,
)
# LookupEvents without an attribute: the account's segments, newest first.
Index(
    "ix_audit_segments_time",
    audit_segments.c.account_id,
    audit_segments.c.last_time,
    audit_segments.c.seq,
)

# What LookupEvents finds segments by: one row per (segment, attribute, value) its
# records carry, with the latest time of the records that carry it. The primary
# key is the lookup itself (account, attribute, value, newest first); on SQLite
# the table is that B-tree alone (WITHOUT ROWID).
audit_segment_keys = Table(
    "audit_segment_keys",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("attribute", String(16), primary_key=True),
    Column("value", String(512), primary_key=True),
    Column("last_time", UtcDateTime(), primary_key=True),
    Column("seq", Integer, primary_key=True),
    sqlite_with_rowid=False,
)
Index("ix_audit_segment_keys_seq", audit_segment_keys.c.seq)

# Root account recovery links (gatehold/store/recovery_tokens.py): one row per emailed
# link, keyed by a hash of its token (the token itself is only in the email). `purpose`:
# "password" (forgot password) or "mfa" (a lost MFA device, issued by the operator).
recovery_tokens = Table(
    "recovery_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    # NULL: not used yet. Set once, by the request that uses the link (or a newer one).
    Column("used_at", UtcDateTime(), nullable=True),
)
Index("ix_recovery_tokens_account", recovery_tokens.c.account_id, recovery_tokens.c.purpose)

# Console sign-in attempts as the alarms see them (gatehold/store/signin_attempts.py): who,
# from where, and whether it worked; kept as long as the audit log's retention.
signin_attempts = Table(
    "signin_attempts",
    metadata,
    Column("attempt_id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=True),  # NULL: no such account
    Column("principal", String(600), nullable=False),  # the lockout subject
    Column("source_ip", String(64), nullable=False),
    Column("country", String(8), nullable=True),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("success", Boolean, nullable=False),
)
Index("ix_signin_attempts_principal", signin_attempts.c.principal, signin_attempts.c.at)
Index("ix_signin_attempts_address", signin_attempts.c.source_ip, signin_attempts.c.at)

# WebAuthn challenges (gatehold/store/webauthn_challenges.py): at most one per
# console session and purpose ("register" a security key, "authenticate" at the MFA
# step), keyed by the session's token hash; deleted when used, whatever the outcome.
webauthn_challenges = Table(
    "console_webauthn_challenges",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("purpose", String(16), primary_key=True),
    Column("challenge", LargeBinary, nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)
Index("ix_webauthn_challenges_expiry", webauthn_challenges.c.expires_at)

# CloudTrail trails (gatehold/store/trails.py): where an account's records are
# delivered as log files. `bucket` names a folder under the operator's trail root
# (Settings.trail_root), standing in for the S3 bucket; `cursor` is the audit
# log's segment seq up to which records have been delivered.
trails = Table(
    "trails",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("home_region", String(32), nullable=False),
    Column("bucket", String(63), nullable=False),
    Column("key_prefix", String(200), nullable=True),
    Column("include_global_events", Boolean, nullable=False),
    Column("multi_region", Boolean, nullable=False),
    Column("logging", Boolean, nullable=False),
    Column("cursor", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("start_logging_at", UtcDateTime(), nullable=True),
    Column("stop_logging_at", UtcDateTime(), nullable=True),
    Column("delivery_attempt_at", UtcDateTime(), nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("delivery_error", Text, nullable=True),
)

# Access keys that were deleted (gatehold/store/access_keys.py): only the key ID and
# whose it was, so a request signed with a deleted key can raise an alarm
# (gatehold/alarms) instead of passing for an unknown key. No secret is kept.
retired_access_keys = Table(
    "retired_access_keys",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("user_name", String(64), nullable=True),  # NULL: the root user's key
    Column("retired_at", UtcDateTime(), nullable=False),
)

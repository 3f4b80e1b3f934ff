"""One typed Settings object, built by the command line and passed to create_app."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORT = 7480
DEFAULT_HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
SQLITE_FILE_NAME = "gatehold.db"


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _int_env(name: str, default: int) -> int:
    """GATEHOLD_<name> as a whole number, else `default`."""
    value = _env(f"GATEHOLD_{name}")
    return int(value) if value else default


def sqlite_url(data_dir: Path) -> str:
    """The embedded (SQLite) store of a data folder, when no database URL is given."""
    return f"sqlite:///{data_dir / SQLITE_FILE_NAME}"


def default_data_dir() -> Path:
    """$GATEHOLD_DATA_DIR, else ~/.local/share/gatehold."""
    env = os.environ.get("GATEHOLD_DATA_DIR")
    if env:
        return Path(env)
    return Path.home() / ".local" / "share" / "gatehold"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 1
    region: str = DEFAULT_REGION
    # Console sign-in throttling (gatehold/auth/lockout.py): after
    # `lockout_threshold` consecutive failures an account is locked for
    # `lockout_base_minutes`, each later lock growing by that much up to
    # `lockout_max_minutes`; at `lockout_max_failures` (NIST SP 800-63B: at most 100)
    # only an administrator unlocks it. A source address gets its own, larger budget.
    lockout_threshold: int = 5
    lockout_base_minutes: int = 15
    lockout_max_minutes: int = 30
    lockout_max_failures: int = 100
    lockout_address_threshold: int = 50
    # Console sessions: idle and absolute limits (AWS console sessions last up to 12 h).
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Root account recovery (gatehold/console/recovery/pages.py, gatehold/mail.py). Emailed
    # links point at `public_url` (never at the request's Host header: a forged Host
    # would send a victim's link to an attacker); None: `endpoint`. Mail goes through
    # SMTP (STARTTLS) when smtp_host is set, else to <data_dir>/outbox/ as .eml files.
    # From the environment: GATEHOLD_PUBLIC_URL, GATEHOLD_SMTP_HOST, _PORT, _USER,
    # _PASSWORD, _FROM.
    public_url: str | None = field(default_factory=lambda: _env("GATEHOLD_PUBLIC_URL"))
    smtp_host: str | None = field(default_factory=lambda: _env("GATEHOLD_SMTP_HOST"))
    smtp_port: int = field(default_factory=lambda: int(_env("GATEHOLD_SMTP_PORT") or 587))
    smtp_user: str | None = field(default_factory=lambda: _env("GATEHOLD_SMTP_USER"))
    smtp_password: str | None = field(default_factory=lambda: _env("GATEHOLD_SMTP_PASSWORD"))
    smtp_from: str = field(
        default_factory=lambda: _env("GATEHOLD_SMTP_FROM") or "gatehold@localhost"
    )
    recovery_link_minutes: int = 60
    # WebAuthn security keys (gatehold/console/credentials/webauthn_keys.py): the relying party ID
    # and the origin browsers must report. None (the default): derived from each
    # request's Host and scheme, right when the console is reached directly. Behind a
    # proxy that terminates TLS or rewrites Host, set both (GATEHOLD_WEBAUTHN_RP_ID,
    # e.g. "console.example.com"; GATEHOLD_WEBAUTHN_ORIGIN, "https://console.example.com").
    webauthn_rp_id: str | None = field(default_factory=lambda: _env("GATEHOLD_WEBAUTHN_RP_ID"))
    webauthn_origin: str | None = field(default_factory=lambda: _env("GATEHOLD_WEBAUTHN_ORIGIN"))

    # Alarms for suspicious sign-ins (gatehold/audit/alarms): thresholds (see
    # audit/alarms/rules.Thresholds for why these defaults), alarm kinds to silence
    # (comma-separated, e.g. "SignInWithoutMfa"), where findings are sent besides
    # the audit log and the account security page (GATEHOLD_ALARM_WEBHOOK_URL: a
    # JSON POST per finding; GATEHOLD_ALARM_EMAIL: a mail through smtp_* or the
    # outbox), and a MaxMind-format database (GATEHOLD_GEOIP_DATABASE, e.g.
    # GeoLite2-City.mmdb) for the country and impossible-travel alarms.
    # GATEHOLD_ALARM_WINDOW_MINUTES, _FAILURES_PER_USER, _FAILURES_PER_ADDRESS,
    # _SPRAYED_USERS set the thresholds from the environment.
    alarm_window_minutes: int = field(default_factory=lambda: _int_env("ALARM_WINDOW_MINUTES", 15))
    alarm_failures_per_user: int = field(
        default_factory=lambda: _int_env("ALARM_FAILURES_PER_USER", 5)
    )
    alarm_failures_per_address: int = field(
        default_factory=lambda: _int_env("ALARM_FAILURES_PER_ADDRESS", 20)
    )
    alarm_sprayed_users: int = field(default_factory=lambda: _int_env("ALARM_SPRAYED_USERS", 5))
    alarm_disabled: str = field(default_factory=lambda: _env("GATEHOLD_ALARM_DISABLED") or "")
    alarm_webhook_url: str | None = field(
        default_factory=lambda: _env("GATEHOLD_ALARM_WEBHOOK_URL")
    )
    alarm_email_to: str | None = field(default_factory=lambda: _env("GATEHOLD_ALARM_EMAIL"))
    geoip_database: str | None = field(default_factory=lambda: _env("GATEHOLD_GEOIP_DATABASE"))
    # STS (gatehold/services/sts/regions.py): regions where STS is deactivated for
    # every account; credential-issuing calls signed for one answer AWS's
    # RegionDisabledException. Comma-separated (GATEHOLD_STS_DISABLED_REGIONS, e.g.
    # "us-west-2,eu-west-1"); us-east-1 cannot be deactivated, as in AWS.
    sts_disabled_regions: str = field(
        default_factory=lambda: _env("GATEHOLD_STS_DISABLED_REGIONS") or ""
    )
    # Append "Encoded authorization failure message: <blob>" to the API's policy
    # denials, as EC2 does, for sts:DecodeAuthorizationMessage
    # (gatehold/authz/denials.py). Off by default: IAM's and STS's
    # AccessDenied texts stay exactly AWS's. GATEHOLD_ENCODE_AUTHORIZATION_MESSAGES=1.
    encode_authorization_messages: bool = field(
        default_factory=lambda: _env("GATEHOLD_ENCODE_AUTHORIZATION_MESSAGES") in ("1", "true")
    )
    # The audit log (gatehold/audit): CloudTrail records of every call and sign-in.
    # GATEHOLD_AUDIT_ENABLED=0 turns recording off (for measuring what it costs);
    # records older than audit_retention_days (GATEHOLD_AUDIT_RETENTION_DAYS; 90, as
    # LookupEvents keeps) are pruned, at most once an hour.
    audit_enabled: bool = field(
        default_factory=lambda: _env("GATEHOLD_AUDIT_ENABLED") not in ("0", "false")
    )
    audit_retention_days: int = field(
        default_factory=lambda: int(_env("GATEHOLD_AUDIT_RETENTION_DAYS") or 90)
    )

    # CloudTrail trails (gatehold/audit/delivery.py) deliver log files under this
    # folder: a trail's S3BucketName names a folder in it, which the operator creates
    # (GATEHOLD_TRAIL_ROOT; None: <data_dir>/trails). Files are delivered every
    # `trail_delivery_seconds` (GATEHOLD_TRAIL_DELIVERY_SECONDS; AWS: about 5 minutes).
    trail_root: str | None = field(default_factory=lambda: _env("GATEHOLD_TRAIL_ROOT"))
    trail_delivery_seconds: float = field(
        default_factory=lambda: float(_env("GATEHOLD_TRAIL_DELIVERY_SECONDS") or 60)
    )

    @property
    def store_url(self) -> str:
        """The database: --database-url if given, else SQLite in the data dir."""
        return self.database_url or sqlite_url(self.data_dir)

    @property
    def trails_folder(self) -> Path:
        return Path(self.trail_root) if self.trail_root else self.data_dir / "trails"

    @property
    def endpoint(self) -> str:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

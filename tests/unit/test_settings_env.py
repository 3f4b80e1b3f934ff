"""`gatehold serve --workers N` hands every setting to each worker process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatehold.app import settings_to_env
from gatehold.config import Settings


def test_every_setting_reaches_the_workers() -> None:
    settings = Settings(
        data_dir=Path("data"),
        database_url="postgresql://db",
        port=9999,
        workers=2,
        lockout_threshold=3,
        session_idle_minutes=5,
    )
    data = json.loads(settings_to_env(settings))
    data["data_dir"] = Path(data["data_dir"])
    assert Settings(**data) == settings


def test_alarm_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEHOLD_ALARM_FAILURES_PER_USER", "9")
    monkeypatch.setenv("GATEHOLD_ALARM_DISABLED", "SignInWithoutMfa")
    settings = Settings(data_dir=Path("data"))
    assert settings.alarm_failures_per_user == 9
    assert settings.alarm_failures_per_address == 20  # unset: the default
    from gatehold.audit.alarms.service import thresholds_for

    thresholds = thresholds_for(settings)
    assert thresholds.failures_per_user == 9 and thresholds.disabled == {"SignInWithoutMfa"}
    monkeypatch.setenv("GATEHOLD_ALARM_DISABLED", "NoSuchAlarm")
    with pytest.raises(ValueError, match="NoSuchAlarm"):
        thresholds_for(Settings(data_dir=Path("data")))

"""`gatehold serve --workers N` hands every setting to each worker process."""

from __future__ import annotations

import json
from pathlib import Path

from gatehold.app import settings_to_env
from gatehold.config import Settings


def test_every_setting_reaches_the_workers() -> None:
    settings = Settings(
        data_dir=Path("data"), database_url="postgresql://db", port=9999, workers=2,
        lockout_threshold=3, session_idle_minutes=5,
    )
    data = json.loads(settings_to_env(settings))
    data["data_dir"] = Path(data["data_dir"])
    assert Settings(**data) == settings

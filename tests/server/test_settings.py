"""The server refuses to start on a missing, short or placeholder secret."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest

from server.settings import Settings, SettingsError

GOOD = secrets.token_urlsafe(48)
PEPPER = secrets.token_urlsafe(48)


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "short-but-random-Zq8",
        "change-me-32-bytes-minimum-secret!!",
        "changeme" * 5,
        "secret" * 8,
        "x" * 64,
        "ab" * 40,
        "your-jwt-secret-goes-here-please-1234",
        "insecure-default-key-for-development-only",
    ],
)
def test_weak_jwt_secret_is_refused(secret: str) -> None:
    with pytest.raises(SettingsError, match="jwt_secret"):
        Settings(jwt_secret=secret, pin_pepper=PEPPER)


@pytest.mark.parametrize("pepper", ["", "1234", "password" * 5, "0" * 40])
def test_weak_pin_pepper_is_refused(pepper: str) -> None:
    with pytest.raises(SettingsError, match="pin_pepper"):
        Settings(jwt_secret=GOOD, pin_pepper=pepper)


def test_a_random_secret_that_happens_to_contain_a_placeholder_word_is_accepted() -> None:
    # a secrets.token_urlsafe(48) the suite once generated and the server refused
    lucky = "TtesO40yiUvOC_uqMfC52epEHqVtSstDumMyoc8KF7yRDDGnCqzNqZoHQLPVV3FD"
    assert Settings(jwt_secret=GOOD, pin_pepper=lucky).pin_pepper == lucky


def test_secrets_must_differ() -> None:
    with pytest.raises(SettingsError, match="differ"):
        Settings(jwt_secret=GOOD, pin_pepper=GOOD)


def test_missing_secret_in_environment_is_refused_with_a_clear_message() -> None:
    with pytest.raises(SettingsError, match="YONGDON_JWT_SECRET"):
        Settings.from_env({"YONGDON_PIN_PEPPER": PEPPER})


def test_environment_and_defaults(tmp_path: Path) -> None:
    env = {
        "YONGDON_JWT_SECRET": GOOD,
        "YONGDON_PIN_PEPPER": PEPPER,
        "YONGDON_DATA_DIR": str(tmp_path),
        "YONGDON_PORT": "9000",
        "YONGDON_CORS_ORIGINS": "https://app.example.org, http://localhost:8550",
        "YONGDON_RATE_LIMITS": "off",
    }
    settings = Settings.from_env(env, host="192.168.0.10")
    assert settings.database_url == f"sqlite:///{tmp_path / 'yongdon.db'}"
    assert (settings.host, settings.port, settings.rate_limits) == ("192.168.0.10", 9000, False)
    assert settings.cors_origins == ("https://app.example.org", "http://localhost:8550")
    assert settings.redis_url is None


def test_cors_wildcard_is_refused() -> None:
    with pytest.raises(SettingsError, match="cors"):
        Settings(jwt_secret=GOOD, pin_pepper=PEPPER, cors_origins=("*",))


def test_embedded_secret_file_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    first = Settings.for_data_dir(tmp_path, env={})
    second = Settings.for_data_dir(tmp_path, env={})
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (first.jwt_secret, first.pin_pepper) == (second.jwt_secret, second.pin_pepper)
    assert first.jwt_secret != first.pin_pepper


def test_environment_secret_wins_over_the_file(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path, env={"YONGDON_JWT_SECRET": GOOD, "YONGDON_PIN_PEPPER": PEPPER})
    assert settings.jwt_secret == GOOD
    assert not (tmp_path / "secret.key").exists()


def test_retention_is_three_years_unless_the_operator_says_otherwise(tmp_path: Path) -> None:
    env = {"YONGDON_JWT_SECRET": GOOD, "YONGDON_PIN_PEPPER": PEPPER, "YONGDON_DATA_DIR": str(tmp_path)}
    default = Settings.from_env(env)
    assert (default.retention_days, default.retention_notice_days, default.notification_keep_days) == (
        1095,
        30,
        365,
    )
    longer = Settings.from_env(
        {**env, "YONGDON_RETENTION_DAYS": "1825", "YONGDON_NOTIFICATION_KEEP_DAYS": "90"}
    )
    assert (longer.retention_days, longer.notification_keep_days) == (1825, 90)
    for name, value, message in (
        ("YONGDON_RETENTION_DAYS", "30", "RETENTION_DAYS"),  # shorter than a year: a typo, not a policy
        ("YONGDON_RETENTION_NOTICE_DAYS", "1", "NOTICE_DAYS"),  # too short to be read in time
        ("YONGDON_NOTIFICATION_KEEP_DAYS", "3 years", "whole number"),
    ):
        with pytest.raises(SettingsError, match=message):
            Settings.from_env({**env, name: value})

"""One frozen settings object, from the environment (``YONGDON_*``) or explicit values.

The server refuses to start with a missing, short or well-known secret: a forged access token would
let anyone act as any parent, and the PIN pepper is what keeps a stolen database from giving up
every child's 4–6 digit PIN in seconds.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

__all__ = ["OidcProvider", "SettingsError", "Settings", "private_dir"]

MIN_SECRET_BYTES = 32
# access tokens: 15 minutes by default; a journey test shortens them to watch devices refresh. Below
# half a minute a device would spend its time refreshing (and a step-up would end before it is used).
ACCESS_TOKEN_TTL_S = 900
MIN_ACCESS_TOKEN_TTL_S = 30
MAX_ACCESS_TOKEN_TTL_S = 86_400
# Words from the placeholders people paste out of examples ("change-me-32-bytes-minimum-secret!!").
# A random 32-byte secret contains one of them with negligible probability.
_PLACEHOLDER_WORDS = re.compile(
    r"change[-_ ]?(me|it)|replace[-_ ]?me|placeholder|example|insecure|default|password|secret|dummy",
    re.IGNORECASE,
)


# OpenID Connect providers a parent may sign in with, by name: the issuer a known name needs none for.
# Naver Login is OAuth 2.0 without ID tokens or a verified e-mail, so it cannot be one (yet).
KNOWN_ISSUERS = {"google": "https://accounts.google.com", "kakao": "https://kauth.kakao.com"}


@dataclass(frozen=True)
class OidcProvider:
    """One OpenID Connect provider the operator registered this server with (``server.accounts.oidc``)."""

    name: str  # in the addresses and the app's button: lowercase letters and digits
    issuer: str  # discovery is at issuer + "/.well-known/openid-configuration"
    client_id: str
    client_secret: str
    scope: str = "openid email profile"


class SettingsError(ValueError):
    """The configuration cannot run safely; the message says what to fix."""


def check_secret(name: str, value: str | None) -> str:
    """Return ``value`` if it is a usable secret, else raise :class:`SettingsError` saying why."""
    if not value:
        raise SettingsError(f"{name} is missing: set YONGDON_{name.upper()} to at least 32 random bytes")
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"{name} is too short: it needs at least {MIN_SECRET_BYTES} bytes")
    # a placeholder is mostly its words ("change-me-…-secret"); a long random token may contain
    # one by chance ("…uqMfC52epEHqVtSstDumMyoc8…") and still has enough randomness around it
    padding = _PLACEHOLDER_WORDS.sub("", value)
    if len(padding.encode()) < MIN_SECRET_BYTES or len(set(value)) < 8:
        # a single repeated character ("x" * 64) or a handful of characters is not random
        raise SettingsError(f"{name} looks like a placeholder or default; generate a random one")
    return value


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the server reads from its environment. Tests construct it directly."""

    jwt_secret: str
    pin_pepper: str
    data_dir: Path = Path("./data")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8787
    cors_origins: tuple[str, ...] = ()
    rate_limits: bool = True
    redis_url: str | None = None
    redis_prefix: str = "yongdon"  # several servers (or test runs) may share one Redis
    # reverse proxies whose X-Forwarded-For is believed (addresses or networks); none: the peer is the caller
    trusted_proxies: tuple[str, ...] = ()
    issuer: str = "yongdon"
    audience: str = "yongdon-app"
    access_token_ttl_s: int = ACCESS_TOKEN_TTL_S  # how long an access token (JWT) is valid
    # print the one-time ADMIN setup token on first start (the CLI and tests may silence it)
    announce_setup_token: bool = True
    # deliver outbox events (the inbox) on a background thread; tests that drive dispatch_once turn it off
    notify_dispatcher: bool = True
    notify_interval_s: float = 1.0
    # /ws: how long a socket may take to send its auth message, and how often quotes are pushed
    live_auth_timeout_s: float = 5.0
    live_quote_interval_s: float = 5.0
    # e-mail to parents (never children); no host means no e-mail channel. smtp_tls: starttls, tls, none
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "Yongdon <yongdon@localhost>"
    smtp_ca_file: str | None = None  # a private CA (a home server's self-signed certificate)
    # push: "ntfy" (self-hostable, topics per user) or "fcm" (HTTP v1); none means no push channel
    push_provider: str | None = None
    ntfy_url: str = "https://ntfy.sh"
    ntfy_token: str | None = None
    fcm_url: str = "https://fcm.googleapis.com"
    fcm_project_id: str | None = None
    fcm_access_token: str | None = None
    # SMS to parents (never children): "solapi" (Solapi/CoolSMS, Korean numbers); none means no SMS.
    # sms_sender is the number the provider registered for this account (발신번호 사전등록)
    sms_provider: str | None = None
    solapi_url: str = "https://api.solapi.com"
    solapi_api_key: str | None = None
    solapi_api_secret: str | None = None
    sms_sender: str | None = None
    # payout rails beside "manual" (each on only when its key is set)
    # Korean corporate disclosures (공시) beside a stock's news: an OpenDART key (opendart.fss.or.kr)
    opendart_key: str | None = None
    toss_url: str = "https://api.tosspayments.com"
    toss_secret_key: str | None = None
    kakaopay_url: str = "https://open-api.kakaopay.com"
    kakaopay_secret_key: str | None = None
    kakaopay_cid: str = "TC0ONETIME"
    public_url: str = "http://127.0.0.1:8787"  # where a provider sends the parent back after paying
    # AES-256-GCM keys for fields at rest, "id:base64key,…" (newest first); unset: derived from the pepper
    data_keys: str | None = None
    hosted: bool = False  # the hosted service (subscriptions); a family server is never hosted
    # premium plans of the hosted service (server.payment.subscriptions), in whole won; a family's
    # first trial lasts trial_days. Billing is Toss Payments' automatic payments (빌링) on its own
    # merchant keys (a payout key is another contract); without the secret key nobody can subscribe.
    # A charge the card declined is retried every billing_retry_hours until billing_grace_days
    # after the period ended; then premium lapses (a child's money and portfolio never change)
    plan_monthly_krw: int = 4_900
    plan_yearly_krw: int = 49_000
    trial_days: int = 14
    billing_grace_days: int = 7
    billing_retry_hours: int = 24
    billing_interval_s: float = 600.0
    toss_billing_secret_key: str | None = None
    toss_client_key: str | None = None  # the browser SDK's key, handed to the app's checkout
    # GET /metrics: with a token, only a scraper presenting it (Bearer); without, loopback callers only
    metrics_token: str | None = None
    # HTTP requests one process works on at once; beyond it, 503 with Retry-After at once (server.shedding).
    # ~0.5 s of queue at the ~120 requests/s a 2-core machine serves
    max_in_flight: int = 64
    # a parent's erasure of a child or the family runs this long after it was asked (a parent may call
    # it off until then); the job looks for due erasures every erase_interval_s
    erase_cooling_off_days: int = 7
    erase_interval_s: float = 60.0
    # retention (server.privacy.retention): a family nobody used for retention_days (the last device
    # sign-in or sync, or session refresh) is erased retention_notice_days after its parents were told;
    # inbox entries and delivery records older than notification_keep_days are pruned
    retention_days: int = 1095
    retention_notice_days: int = 30
    notification_keep_days: int = 365
    retention_interval_s: float = 3600.0
    # parent missions (server.missions): every open one is checked this often on the server's clock
    # (a "hold N days" mission is met by time passing); a child's own change checks its missions at once
    mission_interval_s: float = 300.0
    # parents' sign-in through OpenID Connect providers (none on a family server unless the operator
    # registers it with one: YONGDON_OIDC_PROVIDERS and YONGDON_OIDC_<NAME>_*)
    oidc_providers: tuple[OidcProvider, ...] = ()
    log_level: str = "INFO"  # the server's own log lines (yongdon.*): DEBUG adds one line per background pass

    def __post_init__(self) -> None:
        check_secret("jwt_secret", self.jwt_secret)
        check_secret("pin_pepper", self.pin_pepper)
        if self.jwt_secret == self.pin_pepper:
            raise SettingsError("jwt_secret and pin_pepper must differ")
        if not MIN_ACCESS_TOKEN_TTL_S <= self.access_token_ttl_s <= MAX_ACCESS_TOKEN_TTL_S:
            raise SettingsError(
                f"YONGDON_ACCESS_TOKEN_TTL must be {MIN_ACCESS_TOKEN_TTL_S}–{MAX_ACCESS_TOKEN_TTL_S} seconds"
            )
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.data_dir) / 'yongdon.db'}")
        for origin in self.cors_origins:
            if origin == "*" or not re.match(r"^https?://[^/*]+$", origin):
                raise SettingsError(f"cors origin {origin!r} must be an exact scheme://host[:port]")
        for proxy in self.trusted_proxies:
            _check_proxy(proxy)
        if not 0 <= self.erase_cooling_off_days <= 90:
            raise SettingsError("YONGDON_ERASE_COOLING_OFF_DAYS must be 0–90 days")
        if not 365 <= self.retention_days <= 3650:
            raise SettingsError("YONGDON_RETENTION_DAYS must be 365–3650 days")
        if not 7 <= self.retention_notice_days <= 180:
            raise SettingsError("YONGDON_RETENTION_NOTICE_DAYS must be 7–180 days")
        if not 30 <= self.notification_keep_days <= self.retention_days:
            raise SettingsError("YONGDON_NOTIFICATION_KEEP_DAYS must be 30 days to YONGDON_RETENTION_DAYS")
        if self.smtp_tls not in ("starttls", "tls", "none"):
            raise SettingsError("YONGDON_SMTP_TLS must be starttls, tls or none")
        if self.push_provider not in (None, "ntfy", "fcm"):
            raise SettingsError("YONGDON_PUSH_PROVIDER must be ntfy or fcm")
        if self.sms_provider not in (None, "solapi"):
            raise SettingsError("YONGDON_SMS_PROVIDER must be solapi")
        if self.sms_provider and not (self.solapi_api_key and self.solapi_api_secret and self.sms_sender):
            raise SettingsError(
                "SMS through Solapi needs YONGDON_SOLAPI_API_KEY, YONGDON_SOLAPI_API_SECRET "
                "and YONGDON_SMS_SENDER"
            )
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError("YONGDON_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        if self.max_in_flight < 1:
            raise SettingsError("YONGDON_MAX_IN_FLIGHT must be at least 1")
        names = [p.name for p in self.oidc_providers]
        if len(set(names)) != len(names):
            raise SettingsError("YONGDON_OIDC_PROVIDERS names a provider twice")
        if self.metrics_token is not None:
            check_secret("metrics_token", self.metrics_token)
        if self.push_provider == "fcm" and not (self.fcm_project_id and self.fcm_access_token):
            raise SettingsError("push through FCM needs YONGDON_FCM_PROJECT_ID and YONGDON_FCM_ACCESS_TOKEN")

    @property
    def access_ttl(self) -> timedelta:
        return timedelta(seconds=self.access_token_ttl_s)

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields changed (``None`` values are ignored, as from unset CLI flags)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``YONGDON_*`` variables; ``overrides`` win. Secrets must be present in the environment."""
        values = _from_env(os.environ if env is None else env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def for_data_dir(
        cls, data_dir: Path | str, env: Mapping[str, str] | None = None, **overrides: Any
    ) -> Settings:
        """Embedded-server settings: secrets from the environment, else from ``<data_dir>/secret.key``.

        The key file is created once with 0600 permissions, so a family server needs no configuration
        and keeps its tokens valid across restarts.
        """
        source = dict(os.environ if env is None else env)
        data_dir = Path(data_dir)
        if not source.get("YONGDON_JWT_SECRET") or not source.get("YONGDON_PIN_PEPPER"):
            jwt_secret, pin_pepper = _load_or_create_keys(data_dir / "secret.key")
            source.setdefault("YONGDON_JWT_SECRET", jwt_secret)
            source.setdefault("YONGDON_PIN_PEPPER", pin_pepper)
        return cls.from_env(source, data_dir=data_dir, **overrides)


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "jwt_secret": env.get("YONGDON_JWT_SECRET", ""),
        "pin_pepper": env.get("YONGDON_PIN_PEPPER", ""),
    }
    simple = {
        "data_dir": "YONGDON_DATA_DIR",
        "database_url": "YONGDON_DATABASE_URL",
        "host": "YONGDON_HOST",
        "redis_url": "YONGDON_REDIS_URL",
        "redis_prefix": "YONGDON_REDIS_PREFIX",
        "issuer": "YONGDON_ISSUER",
        "audience": "YONGDON_AUDIENCE",
        "metrics_token": "YONGDON_METRICS_TOKEN",
        "log_level": "YONGDON_LOG_LEVEL",
    }
    for key, name in simple.items():
        if env.get(name):
            values[key] = env[name]
    if env.get("YONGDON_PORT"):
        values["port"] = int(env["YONGDON_PORT"])
    if env.get("YONGDON_MAX_IN_FLIGHT"):
        try:
            values["max_in_flight"] = int(env["YONGDON_MAX_IN_FLIGHT"])
        except ValueError as error:
            raise SettingsError("YONGDON_MAX_IN_FLIGHT must be a whole number") from error
    if env.get("YONGDON_ACCESS_TOKEN_TTL"):
        try:
            values["access_token_ttl_s"] = int(env["YONGDON_ACCESS_TOKEN_TTL"])
        except ValueError as error:
            raise SettingsError("YONGDON_ACCESS_TOKEN_TTL must be a whole number of seconds") from error
    if env.get("YONGDON_CORS_ORIGINS"):
        values["cors_origins"] = tuple(o.strip() for o in env["YONGDON_CORS_ORIGINS"].split(",") if o.strip())
    if env.get("YONGDON_TRUSTED_PROXIES"):
        proxies = env["YONGDON_TRUSTED_PROXIES"].split(",")
        values["trusted_proxies"] = tuple(p.strip() for p in proxies if p.strip())
    if env.get("YONGDON_ERASE_COOLING_OFF_DAYS"):
        try:
            values["erase_cooling_off_days"] = int(env["YONGDON_ERASE_COOLING_OFF_DAYS"])
        except ValueError as error:
            raise SettingsError("YONGDON_ERASE_COOLING_OFF_DAYS must be a whole number of days") from error
    for key in ("retention_days", "retention_notice_days", "notification_keep_days"):
        name = f"YONGDON_{key.upper()}"
        if env.get(name):
            try:
                values[key] = int(env[name])
            except ValueError as error:
                raise SettingsError(f"{name} must be a whole number of days") from error
    if env.get("YONGDON_NOTIFY_DISPATCHER"):
        flag = env["YONGDON_NOTIFY_DISPATCHER"].strip().lower()
        values["notify_dispatcher"] = flag not in {"0", "false", "off", "no"}
    values.update(_channel_env(env))
    if env.get("YONGDON_OIDC_PROVIDERS"):
        values["oidc_providers"] = _oidc_env(env)
    if env.get("YONGDON_RATE_LIMITS"):
        values["rate_limits"] = env["YONGDON_RATE_LIMITS"].strip().lower() not in {"0", "false", "off", "no"}
    return values


_CHANNEL_ENV = (
    "smtp_host", "smtp_tls", "smtp_username", "smtp_password", "smtp_from", "smtp_ca_file",
    "push_provider", "ntfy_url", "ntfy_token", "fcm_url", "fcm_project_id", "fcm_access_token",
    "sms_provider", "solapi_url", "solapi_api_key", "solapi_api_secret", "sms_sender",
    "toss_url", "toss_secret_key", "kakaopay_url", "kakaopay_secret_key", "kakaopay_cid",
    "public_url", "data_keys", "opendart_key", "toss_billing_secret_key", "toss_client_key",
)  # fmt: skip


def _channel_env(env: Mapping[str, str]) -> dict[str, Any]:
    """E-mail, push, SMS, payout rails and data keys (``YONGDON_SMTP_HOST`` → ``smtp_host``, …)."""
    names = {key: f"YONGDON_{key.upper()}" for key in _CHANNEL_ENV}
    values: dict[str, Any] = {key: env[name] for key, name in names.items() if env.get(name)}
    if env.get("YONGDON_SMTP_PORT"):
        values["smtp_port"] = int(env["YONGDON_SMTP_PORT"])
    if env.get("YONGDON_HOSTED"):
        values["hosted"] = env["YONGDON_HOSTED"].strip().lower() in {"1", "true", "on", "yes"}
    billing = (
        "plan_monthly_krw",
        "plan_yearly_krw",
        "trial_days",
        "billing_grace_days",
        "billing_retry_hours",
    )
    for key in billing:
        name = f"YONGDON_{key.upper()}"
        if env.get(name):
            try:
                values[key] = int(env[name])
            except ValueError as error:
                raise SettingsError(f"{name} must be a whole number") from error
    return values


def _oidc_env(env: Mapping[str, str]) -> tuple[OidcProvider, ...]:
    """``YONGDON_OIDC_PROVIDERS=google,kakao`` and, per name, ``YONGDON_OIDC_GOOGLE_CLIENT_ID``,
    ``…_CLIENT_SECRET``, ``…_ISSUER`` (a known name has a default) and ``…_SCOPE`` (optional)."""
    providers = []
    for name in (n.strip().lower() for n in env["YONGDON_OIDC_PROVIDERS"].split(",") if n.strip()):
        if not re.fullmatch(r"[a-z0-9]{1,20}", name):
            raise SettingsError(f"YONGDON_OIDC_PROVIDERS: {name!r} must be 1–20 lowercase letters or digits")
        prefix = f"YONGDON_OIDC_{name.upper()}_"
        issuer = env.get(prefix + "ISSUER") or KNOWN_ISSUERS.get(name)
        client_id, secret = env.get(prefix + "CLIENT_ID"), env.get(prefix + "CLIENT_SECRET")
        if not issuer or not client_id or not secret:
            raise SettingsError(
                f"the provider {name} needs {prefix}ISSUER, {prefix}CLIENT_ID and {prefix}CLIENT_SECRET"
            )
        scope = env.get(prefix + "SCOPE") or OidcProvider.scope
        providers.append(OidcProvider(name, issuer.rstrip("/"), client_id, secret, scope))
    return tuple(providers)


def _check_proxy(proxy: str) -> None:
    try:
        ipaddress.ip_network(proxy, strict=False)
    except ValueError:
        raise SettingsError(
            f"YONGDON_TRUSTED_PROXIES: {proxy!r} is not an IP address or network "
            "(e.g. 10.0.0.5 or 10.0.0.0/24); a proxy is trusted by its address only"
        ) from None


def private_dir(path: Path) -> Path:
    """Create the data dir ``path`` if missing and make it the server's user's only (0700).

    It holds the family's ledger, the secret key and the demo's credentials; a dir made before
    this was so is tightened at the next start.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(path.stat().st_mode) != 0o700:
            path.chmod(0o700)
    except OSError as error:
        raise SettingsError(f"cannot make the data dir {path} private (0700): {error}") from error
    return path


def _load_or_create_keys(path: Path) -> tuple[str, str]:
    if not path.exists():
        private_dir(path.parent)
        content = f"{secrets.token_urlsafe(48)}\n{secrets.token_urlsafe(48)}\n"
        # O_EXCL: two servers starting at once never overwrite each other's key
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(content)
    lines = path.read_text().split()
    if len(lines) != 2:
        raise SettingsError(f"{path} is damaged: expected two lines (jwt secret, pin pepper)")
    return lines[0], lines[1]

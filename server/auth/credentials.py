"""Password and PIN hashing (Argon2id), the password and PIN blocklists, and opaque-secret digests.

Argon2 is deliberately slow (tens of milliseconds and 64 MiB each); a semaphore caps how many run at
once so a burst of logins cannot exhaust memory or starve the other request threads.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "PIN_PATTERN",
    "check_password_policy",
    "check_pin_policy",
    "digest",
    "hash_password",
    "hash_pin",
    "needs_rehash",
    "use_hasher",
    "verify_password",
    "verify_pin",
]

_HASHER = PasswordHasher()  # argon2-cffi's default: RFC 9106 low-memory profile, Argon2id
_SLOTS = threading.BoundedSemaphore(2)
MIN_PASSWORD = 8
MAX_PASSWORD = 256
# Verified against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _HASHER.hash("yongdon-dummy-password-for-timing")
_COMMON_PINS = frozenset(
    {
        "1004",
        "1212",
        "2580",
        "0852",
        "1122",
        "6969",
        "112233",
        "121212",
        "123123",
        "131313",
        "252525",
        "520520",
        "101010",
        "159753",
        "147258",
        "258369",
        "789456",
        "000007",
    }
)


def _runs(step: int) -> str:
    # each digit followed by the next one of the run (mod 10), or by the end: 1234, 7890, 3210, 1098
    return "|".join(f"{d}(?=$|{(d + step) % 10})" for d in range(10))


# check_pin_policy without the birth year, as one pattern: the OpenAPI document states it and msgspec
# enforces it (tests/server/test_accounts_schemas.py proves the two agree on every 4-6 digit PIN)
PIN_PATTERN = (
    r"^(?!(\d)\1+$)"  # one digit repeated
    rf"(?!(?:{_runs(1)})+$)(?!(?:{_runs(9)})+$)"  # a run up or down
    rf"(?!(?:{'|'.join(sorted(_COMMON_PINS))})$)"
    r"[0-9]{4,6}$"
)


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the Argon2 parameters process-wide (the test suite uses a cheap profile to stay fast)."""
    global _HASHER, _DUMMY_HASH
    _HASHER = hasher
    _DUMMY_HASH = hasher.hash("yongdon-dummy-password-for-timing")


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy opaque secret (refresh tokens, pairing and setup codes)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("server").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password_policy(password: str, *, email: str = "") -> str | None:
    """Why ``password`` is refused, or ``None``: length, the offline blocklist and the e-mail itself."""
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"at most {MAX_PASSWORD} characters"
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) < 3:
        return "this password is too common"
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return "the password must not be the e-mail address"
    return None


def check_pin_policy(pin: str, *, birth_year: int | None = None) -> str | None:
    """Why ``pin`` is refused, or ``None``: 4–6 digits, no repeat, run, common PIN or birth year."""
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 6):
        return "a PIN is 4 to 6 digits"
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({0}, {1}, {9}):  # 0000, 1234, 3210, 7890 …
        return "this PIN is too easy to guess"
    if pin in _COMMON_PINS or (birth_year is not None and pin == str(birth_year)):
        return "this PIN is too easy to guess"
    return None


def hash_password(password: str) -> str:
    with _SLOTS:
        return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant-work check: an unknown user (``stored`` is None) still costs one Argon2 verify."""
    with _SLOTS:
        try:
            return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def _peppered(pin: str, pepper: str) -> str:
    # The pepper lives outside the database: a stolen database alone cannot be brute-forced offline.
    return hmac.new(pepper.encode(), pin.encode(), hashlib.sha256).hexdigest()


def hash_pin(pin: str, pepper: str) -> str:
    return hash_password(_peppered(pin, pepper))


def verify_pin(stored: str | None, pin: str, pepper: str) -> bool:
    return verify_password(stored, _peppered(pin, pepper))

"""The log canary (security.md): what no log line of the test session may carry.

Every secret the tests use is planted here (``plant``): the helpers' password and PINs, every token
the helpers receive. At the end of the session ``leaks`` greps every log line the suite produced (the
records of this process and the log files of the server processes tests started, ``keep_server_log``)
for them and for shapes that must never be logged at all: an Argon2 hash, a JWT, an e-mail address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["keep_server_log", "leaks", "plant", "planted", "server_logs"]

_planted: set[str] = set()
_server_logs: list[Path] = []
_FORBIDDEN = {
    "an Argon2 hash": re.compile(r"\$argon2"),
    "a JWT": re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}"),
    "an e-mail address": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"),
}
_WORD = re.compile(r"[\w@.+-]{4,}")  # a planted secret shows up as (part of) one word


def plant(*secrets: str | None) -> None:
    """Secrets no log line may carry (a password, a PIN, a token, a pairing code)."""
    _planted.update(s for s in secrets if s)


def planted() -> frozenset[str]:
    return frozenset(_planted)


def keep_server_log(path: Path) -> Path:
    """A server process's log file (its stderr), grepped with the rest at the end of the session."""
    _server_logs.append(path)
    return path


def server_logs() -> list[Path]:
    return list(_server_logs)


def leaks(lines: Iterable[str], secrets: Iterable[str] = ()) -> list[str]:
    """Each line that carries a planted secret (or one of ``secrets``) or a forbidden shape, named.

    A secret shaped like one word (a token, a PIN, a code) is looked up among the line's words, so
    thousands of planted tokens cost one set lookup per word; a phrase (a password) is searched as text.
    """
    wanted = set(secrets) | _planted
    words_of = {s for s in wanted if _WORD.fullmatch(s)}
    phrases = wanted - words_of
    found = []
    for line in lines:
        hit = next(iter(words_of.intersection(_WORD.findall(line))), None)
        hit = hit or next((s for s in phrases if s in line), None)
        if hit is not None:
            found.append(f"a planted secret ({hit[:4]}…): {line[:300]}")
            continue
        for what, pattern in _FORBIDDEN.items():
            if pattern.search(line):
                found.append(f"{what}: {line[:300]}")
                break
    return found

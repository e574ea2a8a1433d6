"""Fixtures shared by the server tests that need a real SMTP server (e-mail, payouts, alerts)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server.settings import Settings

from .channel_support import Mailbox, smtp_server


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[Mailbox, int, Path]]:
    """A real SMTP server requiring STARTTLS: (mailbox, port, CA file)."""
    yield from smtp_server(tmp_path)


@pytest.fixture
def mail_settings(
    make_settings: Callable[..., Settings], database_url: str, smtp: tuple[Mailbox, int, Path]
) -> Callable[..., Settings]:
    """Settings that send e-mail to ``smtp``, the dispatcher driven by the test (plus overrides)."""
    _, port, ca_file = smtp

    def make(**overrides: object) -> Settings:
        return make_settings(
            database_url=database_url,
            notify_dispatcher=False,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_ca_file=str(ca_file),
            **overrides,
        )

    return make

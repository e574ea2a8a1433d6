from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from client.config import load_config
from client.i18n import Translator, load_catalogs
from client.viewmodels.base import Tools
from client.viewmodels.market import load_index

from .fakes import NOW


@pytest.fixture(scope="session")
def catalogs():
    return load_catalogs()


@pytest.fixture
def ko(catalogs) -> Tools:
    return Tools(Translator(catalogs, "ko"), clock=lambda: NOW, tz=UTC)


@pytest.fixture
def en(catalogs) -> Tools:
    return Tools(Translator(catalogs, "en"), clock=lambda: NOW, tz=UTC)


@pytest.fixture(scope="session")
def index():
    return load_index(Path(load_config().assets_dir) / "market" / "symbols.json")

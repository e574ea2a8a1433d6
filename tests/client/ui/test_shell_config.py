"""The manifest, the data directory, catalogs and locale-aware formatting."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from client.config import PROJECT_ROOT, ConfigError, load_config, resolve_data_dir
from client.i18n import Formatter, Translator, load_catalogs, system_locale
from client.i18n.catalog import CATALOG_DIR, placeholders
from sync.errors import Code, ProtocolCode


def test_manifest_identity_matches_pyproject() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["flet"]
    identity = {k: v for k, v in pyproject.items() if not isinstance(v, dict)}
    assert load_config().identity == identity


def test_manifest_fonts_exist_with_licence() -> None:
    config = load_config()
    assert config.font_family == "NanumGothic"
    font = config.assets_dir / config.fonts["NanumGothic"]
    assert font.read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType file, not a pointer
    assert "Open Font License" in (font.parent / "NanumGothic-LICENSE.txt").read_text()


def test_manifest_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "flet.toml"
    bad.write_text('[identity]\nproduct="x"\n[app]\nassets_dir="a"\n')
    with pytest.raises(ConfigError, match="missing"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_data_dir_order(tmp_path: Path) -> None:
    env = {"FLET_APP_STORAGE_DATA": str(tmp_path / "flet")}
    assert resolve_data_dir(tmp_path / "explicit", env=env) == tmp_path / "explicit"
    assert resolve_data_dir(None, env=env) == tmp_path / "flet"
    assert resolve_data_dir(None, env={}).name == "Yongdon"


def test_catalogs_have_the_same_keys_and_placeholders_in_every_language() -> None:
    areas = {
        loc.name: sorted(p.name for p in loc.glob("*.json")) for loc in CATALOG_DIR.iterdir() if loc.is_dir()
    }
    assert set(areas) >= {"ko", "en"}
    assert areas["ko"] == areas["en"], "each area needs a file in every language"
    cats = load_catalogs()
    assert sorted(set(cats["ko"]) - set(cats["en"])) == []
    assert sorted(set(cats["en"]) - set(cats["ko"])) == []
    mismatched = [k for k in cats["ko"] if placeholders(cats["ko"][k]) != placeholders(cats["en"][k])]
    assert mismatched == []


def test_every_code_has_a_child_friendly_message() -> None:
    cats = load_catalogs()
    for code in [*Code, *ProtocolCode, "OFFLINE"]:
        for locale in ("ko", "en"):
            text = cats[locale].get(f"error.{code}")
            assert text and code not in text, (locale, code)


def test_a_key_defined_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "ko").mkdir()
    (tmp_path / "ko" / "a.json").write_text('{"x": "1"}')
    (tmp_path / "ko" / "b.json").write_text('{"x": "2"}')
    with pytest.raises(ValueError, match="twice"):
        load_catalogs(tmp_path)


def test_system_locale() -> None:
    assert system_locale(("ko", "en"), "ko", {"LANG": "en_US.UTF-8"}) == "en"
    assert system_locale(("ko", "en"), "en", {"LANG": "ko_KR.UTF-8"}) == "ko"
    assert system_locale(("ko", "en"), "ko", {"LANG": "fr_FR.UTF-8"}) == "ko"
    assert system_locale(("ko", "en"), "ko", {"LC_ALL": "C", "LANG": "en_GB"}) == "en"


def test_money_formats_follow_the_locale() -> None:
    tr = Translator(load_catalogs(), "ko")
    fmt = Formatter(tr)
    assert fmt.won(71_200) == "71,200원"
    assert fmt.game(15_000) == "15,000 G₩"
    assert fmt.game(-1_500, signed=True) == "-1,500 G₩"
    assert fmt.game(1_500, signed=True) == "+1,500 G₩"
    assert fmt.usd(189_505_000) == "US$189.51"
    assert fmt.price("AAPL", 5_000) == "US$0.01"
    assert fmt.price("005930.KS", 71_200) == "71,200 G₩"  # a KRX price is game money
    assert fmt.shares(1_500_000) == "1.5주"
    assert fmt.shares(48_601_899) == "48.6019주"  # at most four decimals (sync.money.shown_micro_shares)
    assert fmt.ago(timedelta(minutes=2)) == "2분 전"
    tr.set_locale("en")
    assert fmt.won(71_200) == "₩71,200"
    assert fmt.game(15_000) == "G₩15,000"
    assert fmt.won(-300) == "-₩300"
    assert fmt.shares(1_000_000) == "1 share"
    assert fmt.shares(3_000_000) == "3 shares"
    assert fmt.shares(48_601_899) == "48.6019 shares"
    assert fmt.shares(1_000_040) == "1 share"  # shown as one share: said as one share
    assert fmt.shares(40) == "0.00004 shares"  # a crumb still held is never "0 shares"
    assert fmt.pct(-2.5) == "-2.50%"
    assert fmt.ago(timedelta(minutes=2)) == "2 min ago"


def test_switching_locale_notifies_listeners() -> None:
    tr = Translator(load_catalogs(), "ko")
    seen: list[str] = []
    tr.on_change(lambda: seen.append(tr("nav.home")))
    tr.set_locale("en")
    assert seen == ["Home"]
    with pytest.raises(ValueError):
        tr.set_locale("fr")

"""Every text the parent screens look up by a computed key exists in Korean and English."""

from __future__ import annotations

from client.i18n import load_catalogs
from client.viewmodels.parent.child_settings import FIELDS
from client.viewmodels.parent.inbox import ACT_ON
from client.viewmodels.parent.payout_account import BANKS, AccountForm
from client.viewmodels.parent.payouts import METHODS
from server.notify.texts import EVENTS
from sync.records import TradeStatus
from sync.rules import PRESETS, FillPolicy, Market


def computed_keys() -> list[str]:
    keys = [f"parent.trade.{s.value}" for s in TradeStatus]
    keys += [f"parent.method.{m}" for m in METHODS]
    keys += [f"parent.preset.{p}" for p in PRESETS] + [f"parent.preset.{p}.about" for p in PRESETS]
    keys += [f"parent.rule.{f.name}" for f in FIELDS] + [f"parent.fill.{p.value}" for p in FillPolicy]
    keys += [f"market.name.{m.value}" for m in Market]
    keys += [f"parent.family.role.{r}" for r in ("child", "parent")]
    keys += [f"parent.family.code_for.{k}" for k in ("child_device", "parent_invite")]
    keys += [f"parent.dash.trade.{side}" for side in ("buy", "sell")]
    keys += ["parent.settings.grant_amount", "parent.settings.grant_reason_required"]
    keys += [f"parent.inbox.open.{route.rsplit('/', 1)[-1]}" for route in ACT_ON.values()]
    keys += [f"parent.bank.{code}" for code in BANKS]
    keys += list(AccountForm().problems().values())  # every field wrong: every message
    keys += [f"notify.event.{event}" for event in EVENTS]  # every event the server can name
    keys += [f"notify.channel.{c}" for c in ("inbox", "email", "push")]
    return keys + ["error.WRONG_PASSWORD", "error.ONLINE_ONLY"]


def test_computed_keys_exist_in_both_languages() -> None:
    cats = load_catalogs()
    for locale in ("ko", "en"):
        missing = [k for k in computed_keys() if k not in cats[locale]]
        assert missing == [], locale

"""One child's settings: house-rules presets and fields, a grant with a reason, a PIN reset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from client.theme import MIN_TOUCH
from client.viewmodels.parent import ChildSettingsVM
from client.viewmodels.parent.child_settings import FIELDS
from sync.rules import PRESETS, FillPolicy, Market

from ..widgets import card, heading, muted, tid
from .base import ParentScreenView

if TYPE_CHECKING:
    from client.app import App


class ChildSettingsView(ParentScreenView):
    route = "/parent/child"
    tab = 0
    back = "/parent"

    def __init__(self, app: App, child_id: str) -> None:
        self.vm = ChildSettingsVM(app.shell.profile, app.tools, app.runtime, child_id)
        super().__init__(app)
        self.view.route = f"/parent/child/{child_id}"

    def title(self) -> str:
        return self.tr("parent.settings.title", name=self.vm.name)

    def _run(self, work: Any) -> Any:
        async def handler(e: Any = None) -> None:
            self.app.shell.touch()
            await work()

        return handler

    def _preset(self, name: str) -> Any:
        def handler(e: Any = None) -> None:
            self.vm.apply_preset(name)
            self._sync_texts()

        return handler

    def _discard(self, e: Any = None) -> None:
        self.vm.discard()
        self._sync_texts()

    def _sync_texts(self) -> None:
        for f in FIELDS:  # a preset or a discard rewrote the draft: show it
            self.fields.get(f"rule-{f.name}", "", lambda t: None).value = self.vm.texts[f.name]
        self.vm.changed()

    async def _save(self) -> None:
        if await self.vm.save_rules():
            self._sync_texts()

    async def _grant(self) -> None:
        if await self.vm.give_grant():
            self.fields.clear("grant-amount", "grant-reason")

    async def _pin(self) -> None:
        if await self.vm.reset_pin():
            self.fields.clear("pin")

    def _rules(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        draft = vm.draft or {}
        presets = ft.Row(
            [
                tid(
                    f"preset-{name}",
                    (ft.FilledButton if vm.preset == name else ft.OutlinedButton)(
                        tr(f"parent.preset.{name}"), height=MIN_TOUCH, on_click=self._preset(name)
                    ),
                    label=tr(f"parent.preset.{name}"),
                )
                for name in PRESETS
            ],
            wrap=True,
            spacing=8,
            run_spacing=8,
        )
        out: list[ft.Control] = [
            heading(tr("parent.settings.rules")),
            presets,
            muted(tr(f"parent.preset.{vm.preset}.about") if vm.preset else tr("parent.preset.custom")),
        ]
        for m in Market:
            out.append(
                tid(
                    f"market-{m.value}",
                    ft.Switch(
                        label=tr(f"market.name.{m.value}"),
                        value=m.value in draft.get("markets", []),
                        on_change=lambda e, m=m: vm.toggle_market(m.value, bool(e.control.value)),
                    ),
                )
            )
        if "markets" in vm.field_errors:
            out.append(ft.Text(vm.field_errors["markets"], color=ft.Colors.ERROR))
        out.append(
            tid(
                "fill-policy",
                ft.Dropdown(
                    label=tr("parent.rule.fill_policy"),
                    value=draft.get("fill_policy"),
                    options=[
                        ft.dropdown.Option(key=p.value, text=tr(f"parent.fill.{p.value}")) for p in FillPolicy
                    ],
                    on_select=lambda e: vm.set_fill_policy(e.control.value or FillPolicy.QUOTE.value),
                ),
            )
        )
        out.append(
            tid(
                "limit-orders",
                ft.Switch(
                    label=tr("parent.rule.limit_orders"),
                    value=bool(draft.get("limit_orders")),
                    on_change=lambda e: vm.set_limit_orders(bool(e.control.value)),
                ),
            )
        )
        for f in FIELDS:
            tf = self.fields.get(
                f"rule-{f.name}",
                tr(f"parent.rule.{f.name}"),
                lambda text, n=f.name: vm.set_field(n, text),
                keyboard_type=ft.KeyboardType.NUMBER,
            )
            if tf.value is None or tf.value == "":
                tf.value = vm.texts.get(f.name, "")
            tf.error = vm.field_errors.get(f.name)
            out.append(tid(f"rule-{f.name}", tf))
        out.append(tid("rules-rate", ft.Text(vm.rate, size=16)))
        if vm.dirty:
            out.append(self.button(tr("parent.settings.save"), self._run(self._save), "rules-save"))
            out.append(
                self.button(tr("parent.settings.discard"), self._discard, "rules-discard", primary=False)
            )
        return out

    def body(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        if not vm.found:
            return [tid("child-missing", muted(tr("parent.settings.missing"), size=16))]
        grant_amount = self.fields.get(
            "grant-amount",
            tr("parent.settings.grant_amount_label"),
            lambda t: vm.set_grant(amount=t),
            keyboard_type=ft.KeyboardType.NUMBER,
        )
        grant_reason = self.fields.get(
            "grant-reason",
            tr("parent.settings.grant_reason"),
            lambda t: vm.set_grant(reason=t),
            max_length=200,
        )
        pin = self.fields.get(
            "pin",
            tr("parent.settings.new_pin"),
            vm.set_pin,
            password=True,
            keyboard_type=ft.KeyboardType.NUMBER,
            max_length=6,
        )
        return [
            card(*self._rules(), identifier="rules-card"),
            card(
                heading(tr("parent.settings.grant")),
                muted(tr("parent.settings.grant_about")),
                tid("grant-amount", grant_amount),
                tid("grant-reason", grant_reason),
                self.button(tr("parent.settings.give"), self._run(self._grant), "grant-submit"),
                identifier="grant-card",
            ),
            card(
                heading(tr("parent.settings.pin")),
                muted(tr("parent.settings.pin_about")),
                tid("pin-new", pin),
                self.button(tr("parent.settings.pin_reset"), self._run(self._pin), "pin-submit"),
                identifier="pin-card",
            ),
        ]

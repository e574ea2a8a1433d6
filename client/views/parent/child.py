"""One child's settings: house-rules presets and fields, a grant with a reason, a PIN reset."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.viewmodels.parent import ChildSettingsVM
from client.viewmodels.parent.child_settings import APPROVAL_FIELD, FIELDS, RuleField
from sync.missions import Kind
from sync.rules import PRESETS, FillPolicy, Market, TradeApproval

from ..child.home import mission_line
from ..host import Host
from ..widgets import card, heading, muted, tid, wide_switch
from .base import ParentScreenView


class ChildSettingsView(ParentScreenView):
    route = "/parent/child"
    tab = 0
    back = "/parent"

    vm: ChildSettingsVM

    def __init__(self, host: Host, vm: ChildSettingsVM) -> None:
        super().__init__(host, vm)
        self.view.route = f"/parent/child/{vm.child_id}"

    def title(self) -> str:
        return self.tr("parent.settings.title", name=self.vm.name)

    def _run(self, work: Any) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
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
            self.clear_fields("grant-amount", "grant-reason")

    async def _mission(self) -> None:
        if await self.vm.create_mission():
            self.clear_fields("mission-target", "mission-reward")

    def _cancel_mission(self, mission_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            await self.vm.cancel_mission(mission_id)

        return handler

    def _missions(self) -> list[ft.Control]:
        """Give a mission (kind, number, reward) and the child's missions with its progress."""
        vm, tr = self.vm, self.tr
        low, high = vm.mission_bounds()
        kind = ft.Dropdown(
            label=tr("parent.mission.kind"),
            value=vm.mission_kind,
            options=[
                ft.dropdown.Option(key=k.value, text=tr(f"parent.mission.kind.{k.value}")) for k in Kind
            ],
            on_select=lambda e: vm.set_mission(kind=e.control.value or Kind.SECTORS.value),
            expanded_insets=ft.Padding.all(0),
            expand=True,
            text_size=16,
        )
        target = self.fields.get(
            "mission-target",
            tr(f"parent.mission.target.{vm.mission_kind}", low=low, high=high),
            lambda t: vm.set_mission(target=t),
            keyboard_type=ft.KeyboardType.NUMBER,
        )
        target.label = tr(f"parent.mission.target.{vm.mission_kind}", low=low, high=high)
        reward = self.fields.get(
            "mission-reward",
            tr("parent.mission.reward"),
            lambda t: vm.set_mission(reward=t),
            keyboard_type=ft.KeyboardType.NUMBER,
        )
        out: list[ft.Control] = [
            heading(tr("parent.mission.title")),
            muted(tr("parent.mission.about")),
            tid("mission-kind", ft.Row([kind])),
            tid("mission-target", target),
            tid("mission-reward", reward),
            self.button(tr("parent.mission.create"), self._run(self._mission), "mission-submit"),
        ]
        if not vm.mission_rows:
            out.append(tid("mission-none", muted(tr("parent.mission.none"))))
        for i, row in enumerate(vm.mission_rows):
            out.extend(mission_line(row, f"mission-{i}"))
            if row.cancellable:
                label = tr("parent.mission.cancel")
                out.append(
                    self.button(
                        label, self._cancel_mission(row.mission_id), f"mission-{i}-cancel", primary=False
                    )
                )
        return out

    def mounted(self) -> None:
        super().mounted()
        self.host.run_task(self.vm.load_missions)

    async def _pin(self) -> None:
        if await self.vm.reset_pin():
            self.clear_fields("pin")

    def _presets(self) -> list[ft.Control]:
        """Each preset is a choice with its sentence, so a parent knows what it does before tapping."""
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = []
        for name in PRESETS:
            chosen = vm.preset == name
            title, about = tr(f"parent.preset.{name}"), tr(f"parent.preset.{name}.about")
            icon = ft.Icons.RADIO_BUTTON_CHECKED if chosen else ft.Icons.RADIO_BUTTON_UNCHECKED
            body = ft.Container(
                ft.Column(
                    [
                        ft.Row([ft.Icon(icon, color=ft.Colors.PRIMARY),
                                ft.Text(title, size=17, weight=ft.FontWeight.BOLD)]),
                        ft.Text(about, size=14),
                    ],
                    spacing=4,
                ),
                padding=12,
                border=ft.Border.all(2 if chosen else 1, ft.Colors.PRIMARY if chosen else ft.Colors.OUTLINE),
                border_radius=ft.BorderRadius.all(12),
                bgcolor=ft.Colors.PRIMARY_CONTAINER if chosen else None,
                on_click=self._preset(name),
                ink=True,
            )  # fmt: skip
            out.append(tid(f"preset-{name}", body, label=f"{title}: {about}"))
        now = tr("parent.preset.now", name=tr(f"parent.preset.{vm.preset}")) if vm.preset else None
        out.append(tid("preset-now", muted(now or tr("parent.preset.custom"), size=15)))
        return out

    def _approval(self) -> list[ft.Control]:
        """Graded trade approval: the mode, what it means in a sentence, and the mode's number."""
        vm, tr = self.vm, self.tr
        mode = (vm.draft or {}).get("trade_approval") or TradeApproval.OFF.value
        dropdown = ft.Dropdown(
            label=tr("parent.rule.trade_approval"),
            value=mode,
            options=[
                ft.dropdown.Option(key=m.value, text=tr(f"parent.approval.{m.value}")) for m in TradeApproval
            ],
            on_select=lambda e: vm.set_trade_approval(e.control.value or TradeApproval.OFF.value),
            expanded_insets=ft.Padding.all(0),
            expand=True,
            text_size=16,
        )
        out: list[ft.Control] = [
            tid("rules-trade-approval", ft.Row([dropdown])),
            tid("rules-trade-approval-about", muted(tr(f"parent.approval.{mode}.about"), size=15)),
        ]
        number = APPROVAL_FIELD.get(mode)
        if number is not None:
            out.append(self._number(next(f for f in FIELDS if f.name == number)))
        return out

    def _fill_policy(self) -> list[ft.Control]:
        """Short choices (a long one was clipped at phone width) and the chosen one in a sentence."""
        vm, tr = self.vm, self.tr
        policy = (vm.draft or {}).get("fill_policy") or FillPolicy.QUOTE.value
        dropdown = ft.Dropdown(
            label=tr("parent.rule.fill_policy"),
            value=policy,
            options=[ft.dropdown.Option(key=p.value, text=tr(f"parent.fill.{p.value}")) for p in FillPolicy],
            on_select=lambda e: vm.set_fill_policy(e.control.value or FillPolicy.QUOTE.value),
            expanded_insets=ft.Padding.all(0),
            expand=True,
            text_size=16,
        )
        about = tr(f"parent.fill.{policy}.about")
        wide = ft.Row([dropdown])  # as wide as the card, like the fields below it (else as its text)
        return [tid("fill-policy", wide), tid("fill-policy-about", muted(about), label=about)]

    def _number(self, f: RuleField) -> ft.Control:
        """A rule's number: a short label, its unit after it, a sentence under it; tidied on leaving."""
        vm, tr = self.vm, self.tr
        tf = self.fields.get(
            f"rule-{f.name}",
            tr(f"parent.rule.{f.name}"),
            lambda text, n=f.name: vm.set_field(n, text),
            keyboard_type=ft.KeyboardType.NUMBER,
            on_blur=lambda e, n=f.name: self._tidy(n),
        )
        if tf.value is None or tf.value == "":
            tf.value = vm.texts.get(f.name, "")
        tf.suffix = tr(f.unit)
        tf.helper = tr(f"parent.help.{f.name}")
        tf.helper_max_lines = 3
        tf.error = vm.field_errors.get(f.name)
        tf.error_max_lines = 2
        return tid(f"rule-{f.name}", tf)

    def _tidy(self, name: str) -> None:
        field = self.fields.get(f"rule-{name}", "", lambda t: None)
        tidy = self.vm.tidy(name)
        if field.value != tidy:
            field.value = tidy
            field.update()

    def _rules(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        draft = vm.draft or {}
        out: list[ft.Control] = [heading(tr("parent.settings.rules")), *self._presets()]
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
        out.extend(self._fill_policy())
        switches = (
            ("limit-orders", "limit_orders", vm.set_limit_orders),
            ("rules-leaderboard", "leaderboard", vm.set_leaderboard),
            ("rules-journal-required", "journal_required", vm.set_journal_required),
        )
        out.extend(
            wide_switch(key, tr(f"parent.rule.{name}"), bool(draft.get(name)), turn)
            for key, name, turn in switches
        )
        out.extend(self._approval())
        out.extend(self._number(f) for f in FIELDS if f.name not in APPROVAL_FIELD.values())
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
            card(*self._missions(), identifier="missions-card"),  # first: what a parent does most often
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

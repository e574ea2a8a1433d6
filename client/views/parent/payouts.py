"""Payouts: mark an approved request paid with a method (cash, bank transfer, Toss, KakaoPay) and a
reference; Toss and KakaoPay pay through the server's payout rail (online only). Below, the parent's
payout account that Toss transfers go to: registered with the password again, shown masked."""

from __future__ import annotations

from typing import Any

import flet as ft

from client.theme import MIN_TOUCH
from client.viewmodels.parent import PayoutsVM
from client.viewmodels.parent.payout_account import BANKS
from client.viewmodels.parent.payouts import METHODS

from ..host import Host
from ..widgets import card, heading, muted, tid
from .base import ParentScreenView


class PayoutsView(ParentScreenView):
    route = "/parent/payouts"
    title_key = "parent.nav.payouts"
    tab = 2

    vm: PayoutsVM

    def __init__(self, host: Host, vm: PayoutsVM) -> None:
        super().__init__(host, vm)

    def _pick(self, request_id: str, method: str) -> Any:
        def handler(e: Any = None) -> None:
            self.vm.set_method(request_id, method)

        return handler

    def _pay(self, request_id: str) -> Any:
        async def handler(e: Any = None) -> None:
            self.host.touch()
            if await self.vm.mark_paid(request_id):
                self.clear_fields(f"ref-{request_id}")

        return handler

    def _methods(self, request_id: str) -> ft.Control:
        chosen = self.vm.method(request_id)
        buttons: list[ft.Control] = []
        for m in METHODS:
            cls = ft.FilledButton if m == chosen else ft.OutlinedButton
            buttons.append(
                tid(
                    f"method-{request_id}-{m}",
                    cls(self.tr(f"parent.method.{m}"), height=MIN_TOUCH, on_click=self._pick(request_id, m)),
                    label=self.tr(f"parent.method.{m}"),
                )
            )
        return ft.Row(buttons, wrap=True, spacing=8, run_spacing=8)

    def mounted(self) -> None:
        super().mounted()
        self.host.run_task(self.vm.load_account)

    def _kakaopay(self, link: str) -> ft.Control:
        tr = self.tr
        button = ft.FilledButton(
            tr("parent.payouts.open_kakaopay"),
            icon=ft.Icons.OPEN_IN_NEW,
            url=ft.Url(link, target=ft.UrlTarget.BLANK),  # the client opens it: KakaoPay's own page
            height=MIN_TOUCH,
        )
        return card(
            ft.Text(tr("parent.payouts.kakaopay_steps"), size=16),
            tid("payout-link-open", button, label=tr("parent.payouts.open_kakaopay")),
            tid("payout-link", muted(tr("parent.payouts.open_link", link=link), size=13)),
            identifier="payout-link-card",
        )

    def body(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        out: list[ft.Control] = [heading(tr("parent.payouts.heading"))]
        if vm.link:
            out.append(self._kakaopay(vm.link))
        if not vm.rows:
            out.append(tid("payouts-empty", muted(tr("parent.payouts.none"), size=16)))
        for r in vm.rows:
            rid = r.request_id
            rows: list[ft.Control] = [
                ft.Text(r.child, size=18, weight=ft.FontWeight.BOLD),
                tid(f"payout-amount-{rid}", ft.Text(tr("parent.payouts.to_pay", real=r.amount), size=22)),
            ]
            if r.waiting:
                rows.append(tid(f"payout-waiting-{rid}", muted(tr("parent.payouts.waiting"), size=15)))
            else:
                ref = self.fields.get(
                    f"ref-{rid}",
                    tr("parent.payouts.reference"),
                    lambda text, rid=rid: vm.set_reference(rid, text),
                    max_length=200,
                )
                rows += [
                    muted(tr("parent.payouts.method")),
                    self._methods(rid),
                    tid(f"payout-ref-{rid}", ref),
                    self.button(tr("parent.payouts.mark_paid", real=r.amount), self._pay(rid), f"pay-{rid}"),
                ]
            out.append(card(*rows, identifier=f"payout-{rid}"))
        out.append(heading(tr("parent.payouts.history")))
        out.extend(ft.Text(line, size=15) for line in vm.history)
        if not vm.history:
            out.append(muted(tr("parent.payouts.no_history")))
        out.append(heading(tr("parent.account.heading")))
        out.append(muted(tr("parent.account.about"), size=15))
        out.extend(self._account())
        return out

    # -- the payout account -------------------------------------------------------------------
    def _account(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        if vm.editing_account:
            return [self._account_form()]
        if not vm.account_known:
            return [tid("account-unknown", muted(tr("parent.account.unknown"), size=16))]
        line = vm.account_line()
        if line is None:
            shown = tid("account-none", ft.Text(tr("parent.account.none"), size=16))
            action = self.button(tr("parent.account.register"), self._edit(True), "account-edit")
        else:
            shown = tid("account-current", ft.Text(line, size=18, weight=ft.FontWeight.BOLD))
            action = self.button(tr("parent.account.change"), self._edit(True), "account-edit", primary=False)
        return [shown, action]

    def _account_form(self) -> ft.Control:
        vm, tr = self.vm, self.tr
        problems = {k: tr(v) for k, v in vm.form_problems.items()}
        bank = ft.Dropdown(
            label=tr("parent.account.bank"),
            value=vm.form.bank or None,
            options=[ft.DropdownOption(key=code, text=tr(f"parent.bank.{code}")) for code in BANKS],
            on_select=lambda e: vm.set_account_field("bank", e.control.value or ""),
            error_text=problems.get("bank"),
        )
        number = self.fields.get(
            "account-number",
            tr("parent.account.number"),
            lambda text: vm.set_account_field("number", text),
            keyboard_type=ft.KeyboardType.NUMBER,
            max_length=32,
        )
        # the field shows what the form holds: emptied with it once the number was sent
        number.value, number.error = vm.form.number, problems.get("number")
        holder = self.fields.get(
            "account-holder",
            tr("parent.account.holder"),
            lambda text: vm.set_account_field("holder", text),
            max_length=60,
        )
        holder.value, holder.error = vm.form.holder, problems.get("holder")
        return card(
            tid("account-bank", bank),
            tid("account-number", number),
            tid("account-holder", holder),
            muted(tr("parent.account.password_note")),
            self.button(tr("parent.account.save"), self._save_account, "account-save"),
            self.button(tr("action.cancel"), self._edit(False), "account-cancel", primary=False),
            identifier="account-form",
        )

    def _edit(self, editing: bool) -> Any:
        def handler(e: Any = None) -> None:
            self.host.touch()
            self.vm.edit_account(editing)

        return handler

    async def _save_account(self, e: Any = None) -> None:
        self.host.touch()
        await self.vm.save_account()

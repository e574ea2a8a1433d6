"""Family and devices (online): the members and devices from ``GET /api/family``, add a child,
a pairing code (with its QR image) for a child's device or a second parent, revoke a device."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio.to_thread

from ..trade import parse_amount
from .base import ParentScreen
from .qr import qr_png

__all__ = ["DeviceRow", "FamilyVM", "PairingCode"]


def _save(folder: Path, name: str, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_bytes(content)
    return target


@dataclass(frozen=True)
class DeviceRow:
    client_id: str
    name: str
    owner: str
    seen: str
    revoked: bool
    this_device: bool


@dataclass(frozen=True)
class PairingCode:
    kind: str  # child_device | parent_invite
    code: str
    expires: str
    for_whom: str
    png: bytes


class FamilyVM(ParentScreen):
    def __init__(self, *args: Any, **kw: Any) -> None:
        self.family: dict[str, Any] | None = None
        self.code: PairingCode | None = None
        self.child_name_text = self.birth_year_text = self.pin_text = ""
        self.loading = False
        self.erasures: list[dict[str, Any]] = []  # pending: the family's (child_id None) or a child's
        self.confirming: str | None = None  # the erasure the parent is asked to confirm ("" = the family)
        super().__init__(*args, **kw)

    def refresh(self) -> None:
        super().refresh()
        tr, fmt = self.tools.tr, self.tools.fmt
        fam = self.family
        members = fam["members"] if fam else self.view.members
        names = {m["user_id"]: m.get("display_name", "") for m in members}
        self.members = [
            (m["user_id"], m.get("display_name", ""), tr(f"parent.family.role.{m.get('role', 'child')}"))
            for m in members
        ]
        self.kids = [(m["user_id"], m.get("display_name", "")) for m in members if m.get("role") == "child"]
        me = self.view.me.client_id
        self.devices = [
            DeviceRow(
                client_id=d["client_id"],
                name=d.get("name") or "—",
                owner=names.get(d.get("user_id"), ""),
                seen=fmt.ago(self.tools.clock() - datetime.fromisoformat(d["last_seen_at"]))
                if d.get("last_seen_at")
                else tr("parent.family.never_seen"),
                revoked=bool(d.get("revoked_at")),
                this_device=d["client_id"] == me,
            )
            for d in (fam or {}).get("devices", [])
        ]
        self.family_name = (fam or {}).get("name", "")

    async def load(self) -> None:
        self.loading = True
        answer = await self.online(self.profile.api.family)
        self.loading = False
        if answer is not None:
            self.family = answer
        self.refresh()
        self.changed()

    # -- a new child ------------------------------------------------------------------------
    def set_new_child(self, name: str | None = None, year: str | None = None, pin: str | None = None) -> None:
        if name is not None:
            self.child_name_text = name
        if year is not None:
            self.birth_year_text = year
        if pin is not None:
            self.pin_text = pin

    async def add_child(self) -> bool:
        tr = self.tools.tr
        name, pin = self.child_name_text.strip(), self.pin_text.strip()
        year = parse_amount(self.birth_year_text)
        this_year = self.tools.clock().year
        problem = None
        if not name or len(name) > 40:
            problem = "parent.family.name_needed"
        elif year is None or not this_year - 19 <= year <= this_year:
            problem = "parent.family.year_needed"
        elif not (pin.isdigit() and 4 <= len(pin) <= 6):
            problem = "parent.settings.pin_format"
        if problem is not None or year is None:
            self.error = tr(problem or "parent.family.year_needed")
            self.changed()
            return False
        child = await self.online(lambda: self.profile.api.add_child(name, year, pin))
        if child is None:
            return False
        self.child_name_text = self.birth_year_text = self.pin_text = ""
        await self.profile_sync()
        await self.load()
        self.notice = tr("parent.family.child_added", name=name)
        self.changed()
        return True

    async def profile_sync(self) -> None:
        try:
            await self.profile.sync_now()  # the new child's book comes with the next pull
        except Exception:  # offline right after an online call: the dashboard shows it later
            return

    # -- pairing codes ----------------------------------------------------------------------
    async def pairing_code(self, kind: str, child_id: str | None = None) -> PairingCode | None:
        tr, fmt = self.tools.tr, self.tools.fmt
        answer = await self.online(lambda: self.profile.api.pairing_code(kind, child_id))
        if answer is None:
            return None
        expires = datetime.fromisoformat(str(answer["expires_at"]))
        whom = self.child_name(child_id) if child_id else tr("parent.family.second_parent")
        self.code = PairingCode(
            kind=kind,
            code=str(answer["code"]),
            expires=tr("parent.family.code_expires", when=fmt.when(expires, self.server_now())),
            for_whom=tr(f"parent.family.code_for.{kind}", name=whom),
            png=qr_png(str(answer["code"])),
        )
        self.changed()
        return self.code

    def hide_code(self) -> None:
        self.code = None
        self.changed()

    # -- devices --------------------------------------------------------------------------
    async def revoke(self, client_id: str) -> bool:
        async def again() -> bool:
            return await self.revoke(client_id)

        if self.gate(again):
            return False

        async def call() -> bool:
            await self.profile.api.revoke_device(client_id)
            return True

        done = await self.online(call, again=again)
        if done:
            await self.load()
            self.notice = self.tools.tr("parent.family.revoked")
            self.changed()
        return bool(done)

    # -- the family's data rights: export and erase ------------------------------------------------
    async def export_data(self, folder: Path, child_id: str | None = None) -> Path | None:
        """Save the family's data (or one child's) into ``folder``; the file, or ``None``."""

        async def again() -> Path | None:
            return await self.export_data(folder, child_id)

        if self.gate(again):
            return None

        async def call() -> Path:
            content, name = await self.profile.api.export_data(child_id)
            return await anyio.to_thread.run_sync(_save, folder, Path(name).name, content)

        saved: Path | None = await self.online(call, again=again)
        if saved is not None:
            self.notice = self.tools.tr("parent.rights.saved", path=str(saved))
            self.changed()
        return saved

    def ask_erase(self, child_id: str | None = None) -> None:
        """Show the confirmation first: nothing is sent until :meth:`erase` after it."""
        self.confirming = child_id or ""
        self.changed()

    def keep(self) -> None:
        self.confirming = None
        self.changed()

    def erasure_line(self, child_id: str | None) -> str | None:
        """ "Erased on …; you can still cancel" for a pending erasure, else ``None``."""
        for pending in self.erasures:
            if pending.get("child_id") == child_id:
                due = datetime.fromisoformat(pending["due_at"])
                return self.tools.tr("parent.rights.pending", when=self.tools.fmt.day(due))
        return None

    async def erase(self) -> bool:
        """Schedule the confirmed erasure (after the server's cooling-off)."""
        if self.confirming is None:
            return False
        child_id = self.confirming or None

        async def again() -> bool:
            return await self.erase()

        if self.gate(again):
            return False

        async def call() -> bool:
            await self.profile.api.erase(child_id)
            return True

        done = bool(await self.online(call, again=again))
        if done:
            self.confirming = None
            await self.load_erasures()
            self.notice = self.tools.tr("parent.rights.scheduled")
            self.changed()
        return done

    async def cancel_erasure(self, child_id: str | None = None) -> bool:
        async def again() -> bool:
            return await self.cancel_erasure(child_id)

        if self.gate(again):
            return False

        async def call() -> bool:
            await self.profile.api.cancel_erasure(child_id)
            return True

        done = bool(await self.online(call, again=again))
        if done:
            await self.load_erasures()
            self.notice = self.tools.tr("parent.rights.cancelled")
            self.changed()
        return done

    async def load_erasures(self) -> None:
        answer = await self.online(self.profile.api.erasures)
        self.erasures = list(answer["erasures"]) if answer else []
        self.changed()

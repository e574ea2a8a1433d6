"""The family overview and device revocation."""

from __future__ import annotations

from sqlalchemy import func, select

from sync.errors import Code
from sync.records import Role

from ..auth.sessions import revoke_device_chains
from ..db import Database
from ..db.models import Device, Family, RulesVersion, User
from ..errors import DomainError
from ..gateway import Runner
from ..principal import Principal
from .schemas import DeviceOut, FamilyOut, MemberOut, RulesOut

__all__ = ["overview", "revoke_device"]


def overview(db: Database, viewer: Principal) -> FamilyOut:
    """Members, devices (a child sees only its own) and each child's current house rules."""
    parent = viewer.role is Role.PARENT
    with db.read() as session:
        family = session.get(Family, viewer.family_id)
        if family is None:
            raise DomainError(Code.NOT_FOUND, "no such family")
        users = session.scalars(
            select(User).where(User.family_id == family.id).order_by(User.created_at)
        ).all()
        devices_query = select(Device).where(Device.family_id == family.id).order_by(Device.created_at)
        if not parent:
            devices_query = devices_query.where(Device.user_id == viewer.user_id)
        devices = session.scalars(devices_query).all()
        latest = (
            select(RulesVersion.child_id, func.max(RulesVersion.version).label("version"))
            .where(RulesVersion.family_id == family.id)
            .group_by(RulesVersion.child_id)
            .subquery()
        )
        rules = session.scalars(
            select(RulesVersion).join(
                latest,
                (RulesVersion.child_id == latest.c.child_id) & (RulesVersion.version == latest.c.version),
            )
        ).all()
        return FamilyOut(
            family_id=family.id,
            name=family.name,
            members=[_member(user, parent) for user in users],
            devices=[
                DeviceOut(
                    client_id=d.client_id,
                    user_id=d.user_id,
                    name=d.name,
                    created_at=d.created_at,
                    last_seen_at=d.last_seen_at,
                    revoked_at=d.revoked_at,
                )
                for d in devices
            ],
            rules=[
                RulesOut(child_id=r.child_id, version=r.version, effective_at=r.effective_at, rules=r.data)
                for r in sorted(rules, key=lambda r: r.child_id)
            ],
        )


def _member(user: User, parent_view: bool) -> MemberOut:
    child = user.role == Role.CHILD.value
    return MemberOut(
        user_id=user.id,
        role=user.role,
        display_name=user.display_name,
        avatar=user.avatar,
        birth_year=user.birth_year if child else None,
        pin_locked=user.pin_locked if child and parent_view else None,
    )


def revoke_device(runner: Runner, client_id: str) -> None:
    """Revoke a family device: its sessions end and its access tokens stop on the next request.

    Another family's device is 404 for every caller; then only a parent with step-up may revoke
    (``device.revoke``).
    """
    with runner.change("device.revoke", client_id) as call:
        device = call.device()
        if device.revoked_at is None:
            device.revoked_at = call.now
        revoke_device_chains(call.session, client_id, call.now)

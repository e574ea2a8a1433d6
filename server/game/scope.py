"""Family scoping for reads: whose game may the caller see? Another family's child is a 404."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from sync.errors import Code
from sync.records import Role

from ..db.models import ChangeLog, User
from ..errors import DomainError
from ..principal import Principal

__all__ = ["visible_child", "visible_child_head"]


def _may_see(principal: Principal, user_id: str, role: str | None, family_id: str | None) -> bool:
    """The caller is that child, or a parent in its family."""
    return (
        role == Role.CHILD.value
        and principal.family_id is not None
        and family_id == principal.family_id
        and (principal.role is Role.PARENT or principal.user_id == user_id)
    )


def visible_child(session: Session, principal: Principal, user_id: str) -> User:
    """The child ``user_id`` if the caller is that child or a parent in its family; else 404."""
    user = session.get(User, user_id)
    if user is None or not _may_see(principal, user_id, user.role, user.family_id):
        raise DomainError(Code.NOT_FOUND, "no such child")
    return user


# one statement: the user's role and family, and that family's change-log head (an index seek)
_CHILD_AND_HEAD = select(
    User.role,
    User.family_id,
    select(func.max(ChangeLog.server_seq)).where(ChangeLog.family_id == User.family_id).scalar_subquery(),
).where(User.id == bindparam("user"))


def visible_child_head(session: Session, principal: Principal, user_id: str) -> tuple[str, int]:
    """:func:`visible_child`'s check, answering the child's family and its change-log head (0 for
    none) without loading the user (its sealed name and e-mail are not decrypted for a cache hit)."""
    row = session.execute(_CHILD_AND_HEAD, {"user": user_id}).first()
    if row is None or not _may_see(principal, user_id, row[0], row[1]):
        raise DomainError(Code.NOT_FOUND, "no such child")
    return str(row[1]), int(row[2] or 0)

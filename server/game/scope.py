"""Family scoping for reads: whose game may the caller see? Another family's child is a 404."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sync.errors import Code
from sync.records import Role

from ..db.models import User
from ..errors import DomainError
from ..principal import Principal

__all__ = ["visible_child"]


def visible_child(session: Session, principal: Principal, user_id: str) -> User:
    """The child ``user_id`` if the caller is that child or a parent in its family; else 404."""
    user = session.get(User, user_id)
    allowed = (
        user is not None
        and user.role == Role.CHILD.value
        and principal.family_id is not None
        and user.family_id == principal.family_id
        and (principal.role is Role.PARENT or principal.user_id == user_id)
    )
    if not allowed:
        raise DomainError(Code.NOT_FOUND, "no such child")
    assert user is not None
    return user

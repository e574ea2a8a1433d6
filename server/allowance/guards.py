"""Who may reach an allowance request from a REST route.

A route that names a request finds it in the caller's family or answers ``NOT_FOUND`` — whatever the
caller's role: another family's request does not exist for it. Whether the caller may then decide
or pay it (a parent, stepped up for an approval or a payout) is the gateway's, for every path
(``sync.policy``); the rules of the decision itself are ``sync.conversions``'.
"""

from __future__ import annotations

import msgspec
from sqlalchemy.orm import Session

from sync.errors import Code
from sync.records import Request

from ..db.models import RequestRow
from ..errors import DomainError
from ..principal import Principal

__all__ = ["request_in_family"]


def request_in_family(session: Session, principal: Principal, request_id: str) -> Request:
    """The request as stored, if the caller's family holds it."""
    row = session.get(RequestRow, request_id)
    if row is None or principal.family_id is None or row.family_id != principal.family_id:
        raise DomainError(Code.NOT_FOUND, "no such request")
    return msgspec.convert(row.data, Request, strict=False)

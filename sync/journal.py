"""The trade journal: the one sentence a child may write on why they buy or sell.

The text is the child's own words: the server keeps it with the trade, shows it to the child's family
only and never logs it. A house rule (``journal_required``) can make it a condition of every order,
decided here for device and server alike.
"""

from __future__ import annotations

from .errors import Code, Rejected
from .rules import HouseRules

__all__ = ["journal_of", "require_journal"]


def journal_of(text: str | None) -> str | None:
    """The journal as kept: stripped of surrounding blanks; ``None`` when nothing visible is left."""
    kept = (text or "").strip()
    return kept or None


def require_journal(rules: HouseRules, journal: str | None) -> None:
    """Refuse an order without a journal when the house rules ask for one (``JOURNAL_REQUIRED``)."""
    if rules.journal_required and journal_of(journal) is None:
        raise Rejected(Code.JOURNAL_REQUIRED, {"rule": "journal_required"})

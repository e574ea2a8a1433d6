"""Graded trade approval: which orders wait for a parent (house rule ``trade_approval``).

Decided from recorded facts only (the order's total at the price it was placed against, the child's
filled trades so far), so device and server, and a replay of the log, decide alike. What happens to
a waiting order (approve, decline, cancel) is :mod:`sync.trading`'s.
"""

from __future__ import annotations

from .rules import HouseRules, TradeApproval

__all__ = ["needs_approval"]


def needs_approval(rules: HouseRules, total: int, filled: int) -> bool:
    """Whether an order whose total is ``total`` game won waits for a parent, for a child with
    ``filled`` filled trades: every order; one above ``approval_above`` (equal is not above); or
    every order while fewer than ``approval_first`` trades have filled."""
    mode = rules.trade_approval
    if mode is TradeApproval.EVERY:
        return True
    if mode is TradeApproval.ABOVE:
        return total > rules.approval_above
    if mode is TradeApproval.FIRST:
        return filled < rules.approval_first
    return False

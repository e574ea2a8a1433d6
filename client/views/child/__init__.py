"""Child mode: home, market, stock page, trade ticket, portfolio, allowance, inbox."""

"""Payouts (seed: Payment service): rails behind one interface, the payout record, bank accounts at rest."""

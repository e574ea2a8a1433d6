"""Yongdon's family server: the authority for family, money, trades and allowance."""

"""Authentication: access JWTs, rotating refresh sessions, the bearer middleware and route guards."""

from .guards import family_member, principal_of, requires_role, requires_step_up
from .sessions import issue_tokens

__all__ = ["family_member", "issue_tokens", "principal_of", "requires_role", "requires_step_up"]

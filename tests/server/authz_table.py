"""The authorization matrix as data: every route × actor × object scope → the expected status.

security.md ("Authorization") and api.md say who may call what. Each :class:`Row` is
``(route_key, method, path_template, body_factory, {actor: {scope: status}})``; the test
(``test_authz_matrix.py``) runs every cell against the real app and checks that the table covers
every route of ``app.routes``.

**Scope is relative to the caller.** ``own`` is an object of the caller itself (for a parent: of its
first child), ``sibling`` one of the caller's sibling (for a parent: of its second child), ``other``
one of a child of the other family (for the other family's members, that is *our* family). So the
other family's child and parent mirror ours and every cross-family check runs in both directions.
Routes without an object (a buy, ``GET /api/family``, the public routes) have the single scope ``-``.
The test adds the scope ``missing`` (an id that exists nowhere), which must answer like ``other``.

**Order of the checks** (the first that fails answers):

1. no valid access token (none, expired, a refresh token, another audience) → 401 ``UNAUTHENTICATED``
   (public routes ignore the header: an expired token must still be able to refresh or sign in);
2. the ADMIN on family data → 404 (it has no family);
3. an object outside the caller's family (or one that does not exist) → 404, whatever the
   caller's role or step-up: another family's objects do not exist for it, never 403;
4. a role that may not call the route → 403 ``FORBIDDEN`` (a child on a parent route, also for
   its sibling's objects: inside the family the answer depends on the caller only);
5. a parent route that needs step-up (approve, paid, house rules, device revocation, PIN reset)
   without it → 403 ``STEP_UP_REQUIRED``;
6. on routes a child may call, a sibling's object → 404 (a child sees only its own).

One exception, from sync.md ("Push", step 1): the ``client_id`` in a sync push or pull must be the
caller's own device; a device of the caller's family that is not its own is 403 (a sibling's too).

The problem ``code`` follows from the status: 401 ``UNAUTHENTICATED``, 404 ``NOT_FOUND``, 403
``STEP_UP_REQUIRED`` for a parent without step-up on a step-up row, else 403 ``FORBIDDEN``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ACTORS",
    "DERIVED_ACTORS",
    "DERIVED_SCOPES",
    "NO_SCOPE",
    "ROWS",
    "SCOPES",
    "Row",
    "expected_code",
]

ACTORS = (
    "anonymous",
    "child",
    "sibling",  # the other child of the same family
    "parent",  # signed in and stepped up (password re-entered in the last 5 minutes)
    "parent_no_stepup",
    "other_child",  # the other family's child
    "other_parent",  # the other family's parent, stepped up
    "admin",  # the server's operator: no family
    "expired",  # a stepped-up parent's access token 16 minutes later
    "refresh_as_access",  # the parent's (opaque) refresh token in the Authorization header
)
# Extra actors (research/security.md §3(a)) whose every cell equals another actor's.
DERIVED_ACTORS = {
    "parent_stale_stepup": "parent_no_stepup",  # elevated until a second ago
    "wrong_audience": "expired",  # a well-signed parent token for another audience
}
SCOPES = ("own", "sibling", "other")
NO_SCOPE = "-"
# A derived scope: an id that exists nowhere must answer exactly like another family's object (else the
# status would tell a caller that some other family has such an object).
DERIVED_SCOPES = {"missing": "other"}

Target = Mapping[str, Any]
"""What a case is about, filled by the test: ``user_id`` (the object's child), ``client_id``,
``trade_id``, ``request_id``, ``amount_real``, ``code``, ``seq`` (the device's next push seq),
``notification_id``, ``mission_id``, ``refresh_token``, ``symbol``, ``quote_id``, ``price``,
``email``, ``pin``, ``child_client_id``, ``uniq``."""
BodyFactory = Callable[[Target], dict[str, Any]]

UNAUTHENTICATED = ("anonymous", "expired", "refresh_as_access")


@dataclass(frozen=True)
class Row:
    route_key: str  # the route's operation_id, with "[variant]" for a second row of the same route
    method: str
    path: str  # a template over the Target's keys
    body: BodyFactory | None
    expect: Mapping[str, Mapping[str, int]]  # actor → scope → status
    target: str = "member"  # which object a case needs (see ``World.target`` in the test)
    mutates: bool = False  # a domain write: a denied call must leave the database as it was
    step_up: bool = False  # a parent route that needs step-up

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(next(iter(self.expect.values())))


def expected_code(row: Row, actor: str, status: int) -> str | None:
    """The problem ``code`` a denial must carry (``None`` for a success)."""
    if status == 401:
        return "UNAUTHENTICATED"
    if status == 404:
        return "NOT_FOUND"
    if status == 403:
        return "STEP_UP_REQUIRED" if row.step_up and actor == "parent_no_stepup" else "FORBIDDEN"
    return None


def _same(status: int) -> dict[str, dict[str, int]]:
    """A public route: the Authorization header is ignored, every actor gets ``status``."""
    return {actor: {NO_SCOPE: status} for actor in ACTORS}


def _unscoped(*, child: int, parent: int, admin: int = 404) -> dict[str, dict[str, int]]:
    """A signed-in route without an object."""
    table = {actor: {NO_SCOPE: 401} for actor in UNAUTHENTICATED}
    for actor in ("child", "sibling", "other_child"):
        table[actor] = {NO_SCOPE: child}
    for actor in ("parent", "parent_no_stepup", "other_parent"):
        table[actor] = {NO_SCOPE: parent}
    table["admin"] = {NO_SCOPE: admin}
    return {actor: table[actor] for actor in ACTORS}


def _scoped(
    *,
    child: tuple[int, int, int],
    parent: tuple[int, int, int],
    parent_no_stepup: tuple[int, int, int] | None = None,
    admin: int = 404,
) -> dict[str, dict[str, int]]:
    """(own, sibling, other) for the children and the parents; the other family mirrors ours."""
    rows: dict[str, tuple[int, ...]] = {actor: (401, 401, 401) for actor in UNAUTHENTICATED}
    for actor in ("child", "sibling", "other_child"):
        rows[actor] = child
    for actor in ("parent", "other_parent"):
        rows[actor] = parent
    rows["parent_no_stepup"] = parent_no_stepup or parent
    rows["admin"] = (admin, admin, admin)
    return {actor: dict(zip(SCOPES, rows[actor], strict=True)) for actor in ACTORS}


# The child's own data: the child itself or a parent of its family (api.md "the child, its parents").
CHILD_DATA = _scoped(child=(200, 404, 404), parent=(200, 200, 404))
# A parent's change to a child (no step-up): a child is refused inside its family, 404 outside it.
PARENT_CHANGE = _scoped(child=(403, 403, 404), parent=(201, 201, 404))


def _parent_step_up(ok: int) -> dict[str, dict[str, int]]:
    """A parent's change that needs step-up (the row sets ``step_up``: its 403s are STEP_UP_REQUIRED)."""
    return _scoped(child=(403, 403, 404), parent=(ok, ok, 404), parent_no_stepup=(403, 403, 404))


def _family_step_up(ok: int) -> dict[str, dict[str, int]]:
    """A parent's change to the whole family that needs step-up (export, erase)."""
    return {**_unscoped(child=403, parent=ok), "parent_no_stepup": {NO_SCOPE: 403}}


PASSWORD = "correct horse battery staple"  # tests.helpers.PASSWORD: every parent's
SIGNUP = {"display_name": "새 가족", "family_name": "새집", "locale": "ko", "password": PASSWORD}


def _trade(t: Target) -> dict[str, Any]:
    return {"symbol": t["symbol"], "quantity": 1_000_000, "quote_id": t["quote_id"], "price": t["price"]}


ROWS: tuple[Row, ...] = (
    # -- public: no token needed, a token changes nothing --------------------------------------------
    Row("health", "GET", "/health", None, _same(200)),
    Row("ready", "GET", "/ready", None, _same(200)),
    # the operator's console answers its session cookie only: a bearer token, even the ADMIN's, gets
    # the sign-in page (the redirect is followed), and a form posted without the console's CSRF token
    # is refused first (tests/server/test_console.py signs in for real)
    *(
        Row(f"admin-console[{path}]", "GET", path, None, _same(200))
        for path in (
            "/admin",
            "/admin/login",
            "/admin/market",
            "/admin/outbox",
            "/admin/backups",
            "/admin/backups/{uniq}",
            "/admin/families",
            "/admin/audit",
        )
    ),
    Row("admin-console[static]", "GET", "/admin/static/{uniq}", None, _same(404)),  # no such file
    *(
        Row(f"admin-console[post {path}]", "POST", path, None, _same(403))
        for path in (
            "/admin/login",
            "/admin/logout",
            "/admin/market",
            "/admin/outbox/requeue",
            "/admin/backups",
            "/admin/families/find",
            "/admin/families/{uniq}/{uniq}",
        )
    ),
    # no YONGDON_METRICS_TOKEN: loopback only, and the test client is not on loopback
    Row("metrics", "GET", "/metrics", None, _same(403)),
    Row(
        "register",
        "POST",
        "/api/users/register",
        lambda t: {**SIGNUP, "email": f"new-{t['uniq']}@example.org"},
        _same(201),
    ),
    Row(
        "login",
        "POST",
        "/api/users/login",
        lambda t: {"email": t["email"], "password": PASSWORD, "client_id": f"login-{t['uniq']}"},
        _same(200),
    ),
    Row(
        "loginPin",
        "POST",
        "/api/users/login/pin",
        lambda t: {"client_id": t["child_client_id"], "child_id": t["user_id"], "pin": t["pin"]},
        _same(200),
    ),
    Row(
        "joinFamily",
        "POST",
        "/api/users/family/join",
        lambda t: {"code": t["code"], "client_id": f"join-{t['uniq']}", "device_name": "tablet"},
        _same(200),
        target="join_code",
    ),
    # a parent's sign-in through an OpenID Connect provider: the matrix's server registered none, so
    # every provider is unknown, and so is a flow nobody began (404)
    Row("oidcProviders", "GET", "/api/auth/oidc/providers", None, _same(200)),
    Row(
        "beginOidcSignIn",
        "POST",
        "/api/auth/oidc/flows",
        lambda t: {"provider": "google", "client_id": f"oidc-{t['uniq']}"},
        _same(404),
    ),
    Row(
        "finishOidcSignIn",
        "POST",
        "/api/auth/oidc/flows/{uniq}/tokens",
        lambda t: {"poll_secret": t["uniq"]},
        _same(404),
    ),
    *(
        Row(f"oidc-browser[{step}]", "GET", f"/auth/oidc/{{uniq}}/{step}", None, _same(404))
        for step in ("start", "callback")
    ),
    Row(
        "refreshTokens",
        "POST",
        "/api/auth/refresh",
        lambda t: {"refresh_token": t["refresh_token"]},
        _same(200),
        target="session",
    ),
    Row(
        "logout",
        "POST",
        "/api/auth/logout",
        lambda t: {"refresh_token": t["refresh_token"]},
        _same(204),
        target="session",
    ),
    # the setup token was spent when the operator was created: nobody can make a second one
    Row(
        "adminSetup",
        "POST",
        "/api/admin/setup",
        lambda t: {
            "token": "spent",
            "email": f"ops-{t['uniq']}@example.org",
            "password": PASSWORD,
            "display_name": "ops",
        },
        _same(403),
        mutates=True,
    ),
    # -- accounts and family ---------------------------------------------------------------------------
    Row("getProfile", "GET", "/api/users/{user_id}/profile", None, CHILD_DATA),
    Row(
        "createChild",
        "POST",
        "/api/users/children",
        lambda t: {"display_name": "새싹", "birth_year": 2016, "pin": "480263", "preset": "classic"},
        _unscoped(child=403, parent=201),
        mutates=True,
    ),
    Row(
        "resetChildPin",
        "POST",
        "/api/users/children/{user_id}/pin",
        lambda t: {"pin": t["pin"]},  # the same PIN again: the child's sign-in keeps working
        _parent_step_up(204),
        mutates=True,
        step_up=True,
    ),
    Row(
        "createLinkCode",
        "POST",
        "/api/users/family/link",
        lambda t: {"kind": "child_device", "child_id": t["user_id"]},
        PARENT_CHANGE,
        mutates=True,
    ),
    Row(
        "createLinkCode[parent_invite]",
        "POST",
        "/api/users/family/link",
        lambda t: {"kind": "parent_invite"},
        _unscoped(child=403, parent=201),
        mutates=True,
    ),
    Row(
        "stepUp",
        "POST",
        "/api/auth/step-up",
        lambda t: {"password": PASSWORD},
        _unscoped(child=403, parent=200, admin=403),  # not family data: the operator has the wrong role
    ),
    Row("getFamily", "GET", "/api/family", None, _unscoped(child=200, parent=200)),
    # the caller's own family's board only: the other family's members read theirs (test_leaderboard)
    Row("getLeaderboard", "GET", "/api/family/leaderboard", None, _unscoped(child=200, parent=200)),
    Row(
        "revokeDevice",
        "DELETE",
        "/api/family/devices/{client_id}",
        None,
        _parent_step_up(204),
        target="fresh_device",
        mutates=True,
        step_up=True,
    ),
    Row(
        "grant",
        "POST",
        "/api/family/grants",
        lambda t: {"child_id": t["user_id"], "amount": 1_000, "reason": "심부름"},
        PARENT_CHANGE,
        mutates=True,
    ),
    Row(
        "setHouseRules",
        "PUT",
        "/api/family/children/{user_id}/rules",
        lambda t: {"trades_per_day": 1_000},  # what the world already has: a success changes nothing else
        _parent_step_up(200),
        mutates=True,
        step_up=True,
    ),
    # -- game ------------------------------------------------------------------------------------------
    # -- a family's data rights: export and erase (a stepped-up parent; tests/server/test_data_rights.py)
    Row("exportFamily", "GET", "/api/family/export", None, _family_step_up(200), step_up=True),
    Row(
        "exportChild",
        "GET",
        "/api/family/children/{user_id}/export",
        None,
        _parent_step_up(200),
        step_up=True,
    ),
    Row("listErasures", "GET", "/api/family/erasures", None, _unscoped(child=403, parent=200)),
    Row(
        "eraseFamily",
        "POST",
        "/api/family/erasure",
        lambda t: {"confirm": True},
        _family_step_up(202),
        mutates=True,
        step_up=True,
    ),
    Row(
        "cancelFamilyErasure",
        "DELETE",
        "/api/family/erasure",
        None,
        _family_step_up(204),
        target="pending_family_erasure",
        mutates=True,
        step_up=True,
    ),
    Row(
        "eraseChild",
        "POST",
        "/api/family/children/{user_id}/erasure",
        lambda t: {"confirm": True},
        _parent_step_up(202),
        mutates=True,
        step_up=True,
    ),
    Row(
        "cancelChildErasure",
        "DELETE",
        "/api/family/children/{user_id}/erasure",
        None,
        _parent_step_up(204),
        target="pending_erasure",
        mutates=True,
        step_up=True,
    ),
    Row("getPortfolio", "GET", "/api/game/portfolio/{user_id}", None, CHILD_DATA),
    Row("listTrades", "GET", "/api/game/trades/{user_id}", None, CHILD_DATA),
    Row("getPerformance", "GET", "/api/game/performance/{user_id}?range=ALL", None, CHILD_DATA),
    Row("getLedger", "GET", "/api/game/ledger/{user_id}", None, CHILD_DATA),
    # a trade is always on the caller's own book: only a child trades
    Row("buy", "POST", "/api/game/trade/buy", _trade, _unscoped(child=200, parent=403), mutates=True),
    Row("sell", "POST", "/api/game/trade/sell", _trade, _unscoped(child=200, parent=403), mutates=True),
    Row(
        "cancelOrder",
        "DELETE",
        "/api/game/orders/{trade_id}?child_id={user_id}",
        None,
        _scoped(child=(200, 404, 404), parent=(200, 200, 404)),
        target="queued_order",
        mutates=True,
    ),
    # graded trade approval: a parent of the family decides (approving stepped up); the child may not
    Row(
        "approveOrder",
        "PUT",
        "/api/game/orders/{trade_id}/approve",
        None,
        _parent_step_up(200),
        target="awaiting_order",
        mutates=True,
        step_up=True,
    ),
    Row(
        "declineOrder",
        "PUT",
        "/api/game/orders/{trade_id}/decline",
        lambda t: {"reason": "이번 주는 쉬어 가자"},
        _scoped(child=(403, 403, 404), parent=(200, 200, 404)),
        target="awaiting_order",
        mutates=True,
    ),
    # -- allowance -------------------------------------------------------------------------------------
    Row(
        "requestAllowance",
        "POST",
        "/api/allowance/request",
        lambda t: {"amount_game": 100},
        _unscoped(child=201, parent=403),
        mutates=True,
    ),
    Row(
        "approveAllowance",
        "PUT",
        "/api/allowance/{request_id}/approve",
        lambda t: {"version": 1, "amount_real": t["amount_real"]},
        _parent_step_up(200),
        target="pending_request",
        mutates=True,
        step_up=True,
    ),
    Row(
        "rejectAllowance",
        "PUT",
        "/api/allowance/{request_id}/reject",
        lambda t: {"version": 1, "reason": "다음 주에"},
        _scoped(child=(403, 403, 404), parent=(200, 200, 404)),
        target="pending_request",
        mutates=True,
    ),
    Row(
        "markAllowancePaid",
        "PUT",
        "/api/allowance/{request_id}/paid",
        lambda t: {"method": "cash"},
        _parent_step_up(200),
        target="approved_request",
        mutates=True,
        step_up=True,
    ),
    Row("allowanceHistory", "GET", "/api/allowance/history/{user_id}", None, CHILD_DATA),
    # -- notifications: the inbox is the caller's own; a notification is read by its owner only ---------
    Row("listNotifications", "GET", "/api/notifications", None, _unscoped(child=200, parent=200)),
    Row(
        "markNotificationRead",
        "POST",
        "/api/notifications/{notification_id}/read",
        None,
        # own = the caller's own notification (a parent's too); a child's is not its parent's to mark
        _scoped(child=(200, 404, 404), parent=(200, 404, 404)),
        target="notification",
        mutates=True,
    ),
    Row(
        "getNotificationPreferences",
        "GET",
        "/api/notifications/preferences",
        None,
        _unscoped(child=200, parent=200),
    ),
    Row(
        "setNotificationPreferences",
        "PUT",
        "/api/notifications/preferences",
        lambda t: {"events": {"AllowancePaid": {"push": False}}},
        _unscoped(child=200, parent=200),
    ),
    Row(
        "registerPushToken",
        "PUT",
        "/api/notifications/push-token",
        lambda t: {"token": f"fcm:{t['uniq']}"},
        _unscoped(child=200, parent=200),
    ),
    # test messages: a parent (its own family) or the operator (itself); no provider is configured in
    # the matrix's server, so whoever may call them learns that (409) and a child is refused first
    Row(
        "sendTestPush",
        "POST",
        "/api/notifications/push",
        lambda t: {},
        _unscoped(child=403, parent=409, admin=409),
    ),
    Row(
        "sendTestEmail",
        "POST",
        "/api/notifications/email",
        lambda t: {},
        _unscoped(child=403, parent=409, admin=409),
    ),
    # a parent's own phone number for SMS (children never have one); the matrix's server has no SMS
    # provider, so a stepped-up parent learns that (409), and without a code sent none is waiting (409)
    Row(
        "setPhoneNumber",
        "PUT",
        "/api/notifications/phone",
        lambda t: {"phone": "010-2345-6789"},
        {**_unscoped(child=403, parent=409), "parent_no_stepup": {NO_SCOPE: 403}},
        step_up=True,
    ),
    Row(
        "verifyPhoneNumber",
        "POST",
        "/api/notifications/phone/verify",
        lambda t: {"code": "123456"},
        _unscoped(child=403, parent=409),
    ),
    Row(
        "removePhoneNumber",
        "DELETE",
        "/api/notifications/phone",
        None,
        {**_unscoped(child=403, parent=204), "parent_no_stepup": {NO_SCOPE: 403}},
        step_up=True,
    ),
    # -- parent missions: the child in the path is the object (a mission of another family's child, or
    # of another child, under this child's path, is NOT_FOUND: test_missions) -----------------------
    Row("listMissions", "GET", "/api/family/children/{user_id}/missions", None, CHILD_DATA),
    Row(
        "createMission",
        "POST",
        "/api/family/children/{user_id}/missions",
        lambda t: {"kind": "journals", "target": 3, "reward": 5_000},
        _parent_step_up(201),
        mutates=True,
        step_up=True,
    ),
    Row(
        "cancelMission",
        "DELETE",
        "/api/family/children/{user_id}/missions/{mission_id}",
        None,
        _parent_step_up(200),
        target="mission",
        mutates=True,
        step_up=True,
    ),
    # -- payment: the request in the body is the object ------------------------------------------------
    Row(
        "transferPayout",
        "POST",
        "/api/payment/transfer",
        lambda t: {
            "request_id": t["request_id"],
            "rail": "manual",
            "method": "bank_transfer",
            "reference": "x",
        },
        _parent_step_up(200),
        target="approved_request",
        mutates=True,
        step_up=True,
    ),
    Row("getPayoutAccount", "GET", "/api/payment/account", None, _unscoped(child=403, parent=200)),
    # KakaoPay's return page: public (a browser redirect), the signed address is the credential; one
    # that was not signed for an existing payout is 404 for everyone and changes nothing
    *(
        Row(
            f"kakaoPay{outcome.capitalize()}",
            "GET",
            f"/payment/kakaopay/{{uniq}}/{{uniq}}/{outcome}",
            None,
            _same(404),
        )
        for outcome in ("approved", "cancelled", "failed")
    ),
    Row(
        "setPayoutAccount",
        "PUT",
        "/api/payment/account",
        lambda t: {"bank": "088", "number": "110-123-456789", "holder": "엄마"},
        {**_unscoped(child=403, parent=200), "parent_no_stepup": {NO_SCOPE: 403}},
        step_up=True,
    ),
    # a family server has no subscriptions at all: the route does not exist for anyone signed in
    # (the hosted service's roles — parent only, step-up to subscribe or cancel — are in
    # test_subscriptions.py); its card page's return address is public and not found here either
    Row("subscribe", "POST", "/api/payment/subscribe", None, _unscoped(child=404, parent=404)),
    Row("getSubscription", "GET", "/api/payment/subscription", None, _unscoped(child=404, parent=404)),
    Row("startTrial", "POST", "/api/payment/subscription/trial", None, _unscoped(child=404, parent=404)),
    Row(
        "cancelSubscription",
        "POST",
        "/api/payment/subscription/cancel",
        None,
        _unscoped(child=404, parent=404),
    ),
    *(
        Row(
            f"tossBilling{outcome.capitalize()}",
            "GET",
            f"/payment/toss/billing/{{uniq}}/{{uniq}}/{outcome}",
            None,
            _same(404),
        )
        for outcome in ("checkout", "success", "fail")
    ),
    # -- sync: the device in the body is the object (own = the caller's own device) ------------------
    Row(
        "syncPush",
        "POST",
        "/api/sync/push",
        lambda t: {
            "protocol": 1,
            "client_id": t["client_id"],
            "mutations": [{"seq": t["seq"], "id": f"noop-{t['uniq']}", "name": "noop/v1", "args": {}}],
        },
        _scoped(child=(200, 403, 404), parent=(200, 403, 404)),
        target="device",
        mutates=True,
    ),
    Row(
        "syncPull",
        "POST",
        "/api/sync/pull",
        lambda t: {"protocol": 1, "client_id": t["client_id"], "cursor": 0},
        _scoped(child=(200, 403, 404), parent=(200, 403, 404)),
        target="device",
    ),
    # -- market: any signed-in caller, the operator too ------------------------------------------------
    Row(
        "getPrice",
        "GET",
        "/api/market/stocks/{symbol}/price",
        None,
        _unscoped(child=200, parent=200, admin=200),
    ),
    Row(
        "getStock",
        "GET",
        "/api/market/stocks/{symbol}",
        None,
        _unscoped(child=200, parent=200, admin=200),
    ),
    Row(
        "searchSymbols",
        "GET",
        "/api/market/search",
        None,
        _unscoped(child=200, parent=200, admin=200),
    ),
    Row(
        "getMarketStatus",
        "GET",
        "/api/market/status",
        None,
        _unscoped(child=200, parent=200, admin=200),
    ),
    Row(
        "getFxRate",
        "GET",
        "/api/market/fx/USDKRW",
        None,
        _unscoped(child=200, parent=200, admin=200),
    ),
    Row(
        "getPriceHistory",
        "GET",
        "/api/market/stocks/{symbol}/history",
        None,
        _unscoped(child=200, parent=200, admin=200),
    ),
    Row(
        "getStockNews",
        "GET",
        "/api/market/stocks/{symbol}/news",
        None,
        _unscoped(child=200, parent=200, admin=200),
    ),
)

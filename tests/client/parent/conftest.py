"""A family on the real server (tests/client/core's fixtures) whose child has real, realised profit
and a conversion request waiting: what the parent screens are for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from client import actions
from client.i18n import Translator, load_catalogs
from client.runtime import Profile
from client.viewmodels.base import Tools
from tests.client.core.conftest import (  # noqa: F401 - fixtures
    SAMSUNG,
    AsyncAdapter,
    Household,
    Server,
    anyio_backend,
    make_household,
    server,
)
from tests.server.channel_support import FakeApi

REQUEST_GAME = 15_009  # floor(15,009 × 1/10) = 1,500 won: the parent must see 1,500, not 1,500.9


@dataclass
class Family:
    home: Household
    server: Server
    parent: Profile
    kid: Profile
    parent_net: AsyncAdapter
    kid_net: AsyncAdapter
    child_id: str
    tools: Tools

    @property
    def runtime(self) -> Any:
        return self.home.parent_rt


def tools_for(srv: Server, locale: str = "en") -> Tools:
    return Tools(Translator(load_catalogs(), locale), clock=srv.clock)


async def make_profit(srv: Server, kid: Profile) -> None:
    """Buy 10 shares at 70,000 and sell them at 77,000: 70,000 G₩ of realised profit."""
    for side, price in (("buy", 70_000), ("sell", 77_000)):
        srv.quote(SAMSUNG, price)
        await kid.sync_now()
        quote = kid.view().quotes[SAMSUNG]
        await kid.act(*actions.place_order(SAMSUNG, side, quantity=10_000_000, quote=quote))
        await kid.sync_now()
    assert kid.view().books[kid.identity.user_id].stats().realised == 70_000


async def _family(server: Server, tmp_path: Path) -> AsyncIterator[Family]:  # noqa: F811
    home = await make_household(server, tmp_path)
    _, kid, kid_net, _ = home.kids[0]
    await make_profit(server, kid)
    await kid.act(*actions.request_conversion(REQUEST_GAME))
    await kid.sync_now()
    await home.parent.sync_now()
    yield Family(home, server, home.parent, kid, server.nets[0], kid_net, home.child_id, tools_for(server))
    for runtime, *_ in home.kids:
        await runtime.close()
    await home.parent_rt.close()


@pytest.fixture
async def family(server: Server, tmp_path: Path) -> AsyncIterator[Family]:  # noqa: F811
    async for f in _family(server, tmp_path):
        yield f


@dataclass
class Providers:
    """The payout providers' local fakes (shaped like Toss's and KakaoPay's APIs), what they saw."""

    toss: Any
    kakao: Any
    toss_api: FakeApi
    kakao_api: FakeApi
    sms_api: FakeApi  # shaped like Solapi (tests/server/test_sms.py): the texts the parents were sent


@pytest.fixture
def providers(server: Server) -> Iterator[Providers]:  # noqa: F811
    """The family server restarted with Toss and KakaoPay (local fakes), a mail server, ntfy and SMS
    (a local Solapi fake) configured: every rail and channel the app's screens offer. Nothing is
    delivered by itself (no dispatcher), so no mail or push is ever sent to those addresses."""
    from tests.server.test_payment_rails import KAKAO_KEY, TOSS_KEY, Kakao, Toss
    from tests.server.test_sms import API_KEY, API_SECRET, SENDER, Solapi

    toss, kakao = Toss(), Kakao()
    apis = FakeApi(toss), FakeApi(kakao), FakeApi(Solapi())
    server.stop()
    server.settings = replace(
        server.settings,
        toss_url=apis[0].url,
        toss_secret_key=TOSS_KEY,
        kakaopay_url=apis[1].url,
        kakaopay_secret_key=KAKAO_KEY,
        smtp_host="127.0.0.1",
        push_provider="ntfy",
        ntfy_url="http://127.0.0.1:9",
        sms_provider="solapi",
        solapi_url=apis[2].url,
        solapi_api_key=API_KEY,
        solapi_api_secret=API_SECRET,
        sms_sender=SENDER,
    )
    server.start()
    yield Providers(toss, kakao, *apis)
    for api in apis:
        api.close()


@pytest.fixture
async def paying_family(
    providers: Providers,
    server: Server,  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[Family]:
    """A family (as ``family``) on the server with every payout rail and channel configured."""
    async for f in _family(server, tmp_path):
        yield f

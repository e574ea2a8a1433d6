"""``opendart``: Korean corporate disclosures (공시) from OpenDART, on when the operator sets its key.

OpenDART names a company by its own eight-digit ``corp_code``, not the stock code, so the provider
keeps the table of both (``corpCode.xml``: a zip of one XML document listing every company) under
the server's data dir and fetches it again after a week. A stock's disclosures are its ``list.json``
rows of the last 30 days, newest first (``{"status": "000", "message": "정상", "page_no": 1,
"page_count": 10, "total_count": …, "total_page": …, "list": [{"corp_code", "corp_name",
"stock_code", "corp_cls", "report_nm", "rcept_no", "flr_nm", "rcept_dt": "YYYYMMDD", "rm"}]}``;
status ``013`` is "nothing found"). Each becomes a headline linking to the filing on DART's site.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import httpx

from .base import Headline, ProviderError

__all__ = ["DART_URL", "OpenDartProvider"]

DART_URL = "https://opendart.fss.or.kr"
FILING_URL = "https://dart.fss.or.kr/dsaf001/main.do?rcpNo={}"
SEOUL = ZoneInfo("Asia/Seoul")
_NOTHING = "013"  # 조회된 데이타가 없습니다

log = logging.getLogger(__name__)


class OpenDartProvider:
    name = "opendart"

    def __init__(
        self,
        key: str,
        cache_dir: Path,
        *,
        client: httpx.Client | None = None,
        base_url: str = DART_URL,
        lookback: timedelta = timedelta(days=30),
        codes_max_age: timedelta = timedelta(days=7),
    ) -> None:
        self.key, self.base_url = key, base_url.rstrip("/")
        self.cache_file = Path(cache_dir) / "opendart-corpcodes.json"
        self.client = client or httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))
        self.lookback, self.codes_max_age = lookback, codes_max_age
        self._codes: dict[str, str] | None = None
        self._codes_at: datetime | None = None
        self._lock = threading.Lock()

    def headlines(self, symbol: str, now: datetime, limit: int = 10) -> list[Headline]:
        stock_code = _krx_code(symbol)
        if stock_code is None:
            return []  # OpenDART files Korean companies only
        corp_code = self._corp_codes(now).get(stock_code)
        if corp_code is None:
            return []
        today = now.astimezone(SEOUL).date()
        answer = self._get(
            "/api/list.json",
            {
                "corp_code": corp_code,
                "bgn_de": (today - self.lookback).strftime("%Y%m%d"),
                "end_de": today.strftime("%Y%m%d"),
                "page_no": "1",
                "page_count": str(max(1, min(limit, 100))),
            },
        ).json()
        status = str(answer.get("status", ""))
        if status == _NOTHING:
            return []
        if status != "000":
            raise ProviderError(f"opendart status {status}")
        found = [h for h in (_disclosure(row) for row in answer.get("list") or []) if h is not None]
        found.sort(key=lambda h: h.published_at, reverse=True)
        return found[:limit]

    # -- the corp_code table -----------------------------------------------------------------------

    def _corp_codes(self, now: datetime) -> dict[str, str]:
        with self._lock:
            if self._codes is not None and self._codes_at and now - self._codes_at < self.codes_max_age:
                return self._codes
            stored = self._read_cache()
            if stored is not None and now - stored[0] < self.codes_max_age:
                self._codes_at, self._codes = stored
                return self._codes
            try:
                codes = _parse_corp_codes(self._get("/api/corpCode.xml", {}).content)
            except ProviderError:
                if stored is None:
                    raise
                self._codes_at, self._codes = now, stored[1]  # an old table beats none; retry in a week
                return self._codes
            self._codes_at, self._codes = now, codes
            self._write_cache(now, codes)
            return codes

    def _read_cache(self) -> tuple[datetime, dict[str, str]] | None:
        try:
            stored = json.loads(self.cache_file.read_text("utf-8"))
            return datetime.fromisoformat(stored["fetched_at"]), dict(stored["codes"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_cache(self, now: datetime, codes: dict[str, str]) -> None:
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            payload = {"fetched_at": now.isoformat(), "codes": codes}
            self.cache_file.write_text(json.dumps(payload), "utf-8")
        except OSError as error:
            log.warning("opendart: could not keep the company table: %s", error)

    # -- HTTP --------------------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str]) -> httpx.Response:
        try:
            response = self.client.get(f"{self.base_url}{path}", params={"crtfc_key": self.key, **params})
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise ProviderError(f"opendart: {type(error).__name__}") from error
        if response.headers.get("content-type", "").startswith("application/json") and path.endswith(".xml"):
            # a refused key answers the zip's URL with a JSON status instead
            raise ProviderError(f"opendart status {response.json().get('status', '?')}")
        return response


def _krx_code(symbol: str) -> str | None:
    code, _, suffix = symbol.partition(".")
    return code if suffix in ("KS", "KQ") and len(code) == 6 and code.isalnum() else None


def _parse_corp_codes(blob: bytes) -> dict[str, str]:
    """``stock_code → corp_code`` for every listed company in ``corpCode.xml``'s zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            name = next(n for n in archive.namelist() if n.lower().endswith(".xml"))
            document = archive.read(name)
        # OpenDART's own document over TLS; Python's expat refuses entity expansion bombs
        root = ElementTree.fromstring(document)  # noqa: S314
    except (zipfile.BadZipFile, StopIteration, ElementTree.ParseError) as error:
        raise ProviderError("opendart: the company table is not a zip of XML") from error
    codes: dict[str, str] = {}
    for row in root.iter("list"):
        stock = (row.findtext("stock_code") or "").strip()
        corp = (row.findtext("corp_code") or "").strip()
        if stock and corp:
            codes[stock] = corp
    return codes


def _disclosure(row: Any) -> Headline | None:
    if not isinstance(row, dict):
        return None
    title = " ".join(str(row.get("report_nm") or "").split())[:300]
    receipt = str(row.get("rcept_no") or "")
    try:
        day = date(*map(int, (row["rcept_dt"][:4], row["rcept_dt"][4:6], row["rcept_dt"][6:8])))
    except (KeyError, TypeError, ValueError):
        return None
    if not title or not receipt.isdigit():
        return None
    published = datetime.combine(day, time(0, 0), SEOUL).astimezone(UTC)
    source = " ".join(str(row.get("flr_nm") or row.get("corp_name") or "DART").split())[:100]
    return Headline(title, source, published, FILING_URL.format(receipt), kind="disclosure")

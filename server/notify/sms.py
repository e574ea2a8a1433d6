"""SMS to parents through one provider adapter (children never have a phone number).

The adapter follows Solapi (the CoolSMS API, ``api.solapi.com``): a Korean family's parents have
Korean mobile numbers, and Korean carriers deliver SMS only from a sender number the provider has
registered for the account (발신번호 사전등록), which a Korean provider does for a family or a small
operator; Twilio and the like cannot send from a Korean number at all. Its shape, as we know it from
its public documentation (we cannot reach it from here; tests run it against a small local HTTP
server of the same shape):

- ``POST <base>/messages/v4/send`` with the JSON body ``{"message": {"to", "from", "text"}}``
  (digits only; a text longer than an SMS is sent as an LMS by the provider);
- ``Authorization: HMAC-SHA256 apiKey=<key>, date=<ISO 8601>, salt=<random>, signature=<hex>``,
  the signature being HMAC-SHA256 of ``date + salt`` under the API secret;
- 200 with ``{"groupId", "messageId", "statusCode": "2000", "statusMessage", "to", "from", …}``;
  a refusal is 4xx/5xx with ``{"errorCode", "errorMessage"}`` (``ValidationError``,
  ``SignatureDoesNotMatch``, ``NotEnoughBalance``, …).

The number and the text never reach a log line: an error names the provider's status and code only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx
from sqlalchemy.orm import Session

from ..db.models import PhoneNumber, User
from ..settings import Settings
from .inbox import Message
from .texts import LOCALES

__all__ = [
    "SmsAdapter",
    "SmsChannel",
    "SmsError",
    "SmsText",
    "SolapiSms",
    "mask",
    "normal_number",
    "sms_from_settings",
    "sms_text",
]

TIMEOUT_S = 10.0
# a Korean mobile number: 010 (and the older 011, 016-019) and 7 or 8 more digits
_MOBILE = re.compile(r"01[016-9]\d{7,8}")


class SmsError(Exception):
    """The provider refused or could not be reached (never carries the number or the text)."""


@dataclass(frozen=True)
class SmsText:
    to: str
    text: str


class SmsAdapter(Protocol):
    name: str

    def send(self, message: SmsText) -> str:
        """Send one SMS; answers the provider's message id, raises :class:`SmsError`."""
        ...


def normal_number(raw: str) -> str | None:
    """A Korean mobile number as digits (``010-1234-5678``, ``+82 10 1234 5678`` → ``01012345678``),
    or ``None`` when it is not one."""
    digits = re.sub(r"[\s\-.()]", "", raw)
    if digits.startswith("+82"):
        digits = "0" + digits[3:]
    return digits if _MOBILE.fullmatch(digits) else None


def mask(number: str) -> str:
    """What the app shows of a stored number: ``010-****-5678``."""
    return f"{number[:3]}-****-{number[-4:]}"


class SolapiSms:
    name = "solapi"

    def __init__(
        self, base_url: str, api_key: str, api_secret: str, sender: str, client: httpx.Client | None = None
    ) -> None:
        self.url = base_url.rstrip("/") + "/messages/v4/send"
        self.api_key = api_key
        self.api_secret = api_secret
        self.sender = re.sub(r"\D", "", sender)
        self.client = client or httpx.Client()

    def authorization(self, now: datetime | None = None, salt: str | None = None) -> str:
        date = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
        salt = salt or secrets.token_hex(16)
        signature = hmac.new(self.api_secret.encode(), (date + salt).encode(), hashlib.sha256).hexdigest()
        return f"HMAC-SHA256 apiKey={self.api_key}, date={date}, salt={salt}, signature={signature}"

    def send(self, message: SmsText) -> str:
        body = {"message": {"to": message.to, "from": self.sender, "text": message.text}}
        headers = {"Authorization": self.authorization()}
        try:
            response = self.client.post(self.url, json=body, headers=headers, timeout=TIMEOUT_S)
        except httpx.HTTPError as error:
            raise SmsError(f"solapi unreachable: {type(error).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code == 200 and isinstance(answer, dict) and answer.get("statusCode") == "2000":
            return str(answer.get("messageId", ""))
        code = answer.get("errorCode") or answer.get("statusCode") if isinstance(answer, dict) else None
        raise SmsError(f"solapi answered {response.status_code} {code or ''}".strip())


_FRAME = {"ko": "[용돈] {title}\n{body}", "en": "[Yongdon] {title}\n{body}"}
_CODE = {
    "ko": "[용돈] 인증번호 {code}. 10분 안에 앱에 입력하세요. 요청하지 않았다면 무시하세요.",
    "en": "[Yongdon] Your code is {code}. Enter it in the app within 10 minutes. Didn't ask? Ignore this.",
}


def _lang(locale: str) -> str:
    return locale if locale in LOCALES else "ko"


def sms_text(to: str, locale: str, title: str, body: str) -> SmsText:
    """A notification (already worded for a parent in ``locale``) as one SMS."""
    return SmsText(to, _FRAME[_lang(locale)].format(title=title, body=body))


def code_text(to: str, locale: str, code: str) -> SmsText:
    return SmsText(to, _CODE[_lang(locale)].format(code=code))


def verified_number(session: Session, user_id: str) -> str | None:
    """The parent's verified number, or ``None`` (none, not yet verified, or not a parent)."""
    phone = session.get(PhoneNumber, user_id)
    if phone is None or phone.verified_at is None:
        return None
    user = session.get(User, user_id)
    return phone.number if user is not None and user.role == "parent" else None


class SmsChannel:
    """The dispatcher's SMS channel: a parent with a verified number only (the preferences decide
    the rest). A remote channel: composed in the dispatcher's transaction, sent after it."""

    name = "sms"
    remote = True

    def __init__(self, adapter: SmsAdapter) -> None:
        self.adapter = adapter

    def reaches(self, session: Session, user_id: str, role: str) -> bool:
        return role == "parent" and verified_number(session, user_id) is not None

    def prepare(self, session: Session, message: Message) -> SmsText | None:
        number = verified_number(session, message.user_id)
        user = session.get(User, message.user_id)
        if number is None or user is None:
            return None  # removed since, or a child: nothing to reach, not retried
        return sms_text(number, user.locale, message.title, message.body)

    def send(self, prepared: SmsText) -> None:
        self.adapter.send(prepared)

    def settle(self, session: Session, prepared: SmsText) -> None:
        return None


def sms_from_settings(settings: Settings) -> SmsAdapter | None:
    if (
        settings.sms_provider == "solapi"
        and settings.solapi_api_key
        and settings.solapi_api_secret
        and settings.sms_sender
    ):
        return SolapiSms(
            settings.solapi_url, settings.solapi_api_key, settings.solapi_api_secret, settings.sms_sender
        )
    return None

"""E-mail to parents over SMTP (STARTTLS, implicit TLS or, on a trusted LAN only, plain), and its wording.

Children have no e-mail address (security.md), so the e-mail channel only ever writes to parents.
The wording reuses the inbox's title and body for the event (``texts.compose``) inside a short
Korean or English letter with a greeting and a line about where to change the preference.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy.orm import Session

from ..db.models import User
from ..settings import Settings
from .inbox import Message
from .texts import LOCALES

__all__ = ["EmailChannel", "Letter", "SmtpMailer", "letter_for", "mailer_from_settings", "trial_letter"]

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Letter:
    """One e-mail: recipient, subject and plain-text body (no HTML: nothing to render or track)."""

    to: str
    subject: str
    text: str


_FRAME = {
    "ko": (
        "{name}님, 안녕하세요.\n\n{body}\n\n용돈 앱에서 자세히 확인하실 수 있습니다.\n\n"
        "-- \n용돈 가족 서버에서 보낸 메일입니다. 알림 설정(앱의 설정 > 알림)에서 이 메일을 끌 수 있습니다.\n"
    ),
    "en": (
        "Hello {name},\n\n{body}\n\nOpen the Yongdon app for the details.\n\n"
        "-- \nSent by your Yongdon family server. Turn these e-mails off in Settings > Notifications.\n"
    ),
}
_TEST = {
    "ko": ("테스트 메일", "메일 설정이 잘 되었습니다. 이 메일이 보이면 알림 메일을 받을 수 있습니다."),
    "en": ("Test e-mail", "E-mail is set up. If you can read this, notification e-mails will reach you."),
}


def _lang(locale: str) -> str:
    return locale if locale in LOCALES else "ko"


def letter_for(to: str, name: str, locale: str, title: str, body: str) -> Letter:
    """A notification (already worded for a parent in ``locale``) as an e-mail."""
    lang = _lang(locale)
    prefix = "[용돈]" if lang == "ko" else "[Yongdon]"
    return Letter(to=to, subject=f"{prefix} {title}", text=_FRAME[lang].format(name=name, body=body))


def trial_letter(to: str, name: str, locale: str) -> Letter:
    """The message of ``POST /api/notifications/email``: proves the SMTP settings reach this parent."""
    title, body = _TEST[_lang(locale)]
    return letter_for(to, name, locale, title, body)


@dataclass(frozen=True)
class SmtpMailer:
    """Sends letters through one SMTP server. ``tls``: ``starttls`` (587), ``tls`` (465) or ``none``."""

    host: str
    port: int = 587
    tls: str = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str = "Yongdon <yongdon@localhost>"
    ca_file: str | None = None
    timeout: float = TIMEOUT_S

    def _context(self) -> ssl.SSLContext:
        # certificate and host name are always checked; a home server's own CA comes from ca_file
        return ssl.create_default_context(cafile=self.ca_file)

    def send(self, letter: Letter) -> None:
        """Deliver one letter; raises ``smtplib.SMTPException`` or ``OSError`` when the server refuses."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = letter.to
        message["Subject"] = letter.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="yongdon")
        message.set_content(letter.text)
        smtp: smtplib.SMTP
        if self.tls == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.tls == "starttls":
                smtp.starttls(context=self._context())  # refuses to go on in plain text if it fails
            if self.username and self.password:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


def mailer_from_settings(settings: Settings) -> SmtpMailer | None:
    if not settings.smtp_host:
        return None
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=settings.smtp_password,
        sender=settings.smtp_from,
        ca_file=settings.smtp_ca_file,
    )


class EmailChannel:
    """The dispatcher's e-mail channel: parents with an address only (the preferences decide the rest).

    A remote channel: the letter is composed in the dispatcher's transaction and sent after it; a
    refused send is retried with backoff like any other channel's delivery.
    """

    name = "email"
    remote = True

    def __init__(self, mailer: SmtpMailer) -> None:
        self.mailer = mailer

    def reaches(self, session: Session, user_id: str, role: str) -> bool:
        if role != "parent":
            return False  # children never have e-mail
        user = session.get(User, user_id)
        return user is not None and bool(user.email)

    def prepare(self, session: Session, message: Message) -> Letter | None:
        user = session.get(User, message.user_id)
        if user is None or user.role != "parent" or not user.email:
            return None  # nothing to reach: the delivery is finished, not retried forever
        return letter_for(user.email, user.display_name, user.locale, message.title, message.body)

    def send(self, prepared: Letter) -> None:
        self.mailer.send(prepared)

    def settle(self, session: Session, prepared: Letter) -> None:
        return None  # an accepted or refused letter leaves nothing to record

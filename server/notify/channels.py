"""The dispatcher's channels for one server, from its settings: the inbox always, e-mail, push and SMS
when configured."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from ..settings import Settings
from .dispatcher import Channel
from .email import EmailChannel, SmtpMailer, mailer_from_settings
from .inbox import InboxChannel
from .push import PushAdapter, PushChannel, push_from_settings
from .sms import SmsAdapter, SmsChannel, sms_from_settings

__all__ = ["Channels", "channels_from_settings", "code_key", "topic_key"]


def topic_key(settings: Settings) -> bytes:
    """The key that names ntfy topics: derived from the pepper (which never rotates), under its own label."""
    return hmac.new(settings.pin_pepper.encode(), b"yongdon ntfy topics v1", hashlib.sha256).digest()


def code_key(settings: Settings) -> bytes:
    """The key that hashes SMS verification codes: from the pepper too, under its own label."""
    return hmac.new(settings.pin_pepper.encode(), b"yongdon sms codes v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class Channels:
    mailer: SmtpMailer | None
    push: PushAdapter | None
    sms: SmsAdapter | None = None
    code_key: bytes = b""

    def all(self) -> list[Channel]:
        channels: list[Channel] = [InboxChannel()]
        if self.mailer is not None:
            channels.append(EmailChannel(self.mailer))
        if self.push is not None:
            channels.append(PushChannel(self.push))
        if self.sms is not None:
            channels.append(SmsChannel(self.sms))
        return channels


def channels_from_settings(settings: Settings) -> Channels:
    return Channels(
        mailer=mailer_from_settings(settings),
        push=push_from_settings(settings, topic_key(settings)),
        sms=sms_from_settings(settings),
        code_key=code_key(settings),
    )

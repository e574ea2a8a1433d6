"""Real local endpoints for the channel and payout tests: an SMTP server (aiosmtpd, STARTTLS with a
certificate made here) and small HTTP servers on 127.0.0.1 shaped like the providers' APIs."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["Mailbox", "FakeApi", "Seen", "free_port", "self_signed", "smtp_server"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost and its key (PEM files): the SMTP server's identity,
    and also the CA file the client trusts (nothing else is trusted)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class Mailbox:
    """What the SMTP server accepted: one parsed message per recipient, and whether TLS was on."""

    messages: list[tuple[str, EmailMessage, bool]] = field(default_factory=list)
    refuse: bool = False  # answer 451 to every message (a mail server having a bad day)
    # (arrived, release): signal arrival, then answer only once released (a slow mail server)
    hold: tuple[threading.Event, threading.Event] | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.hold is not None:
            arrived, release = self.hold
            arrived.set()
            await asyncio.to_thread(release.wait, 10)
        if self.refuse:
            return "451 4.3.0 try again later"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        assert isinstance(parsed, EmailMessage)
        for rcpt in envelope.rcpt_tos:
            self.messages.append((rcpt, parsed, session.ssl is not None))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m, _ in self.messages if rcpt == address]

    def recipients(self) -> list[str]:
        return sorted(rcpt for rcpt, _, _ in self.messages)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def smtp_server(directory: Path) -> Iterator[tuple[Mailbox, int, Path]]:
    """A real SMTP server on 127.0.0.1 that requires STARTTLS; yields (mailbox, port, CA file)."""
    cert, key = self_signed(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    try:
        yield mailbox, port, cert
    finally:
        controller.stop()


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


Responder = Callable[[Seen], tuple[int, Any]]


class FakeApi:
    """A small real HTTP server on 127.0.0.1 (a thread). ``respond`` decides each answer from the
    request, like the provider would; every request is kept in ``seen``."""

    def __init__(self, respond: Responder) -> None:
        self.seen: list[Seen] = []
        self.respond = respond
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                seen = Seen("POST", self.path, dict(self.headers.items()), json.loads(raw) if raw else None)
                api.seen.append(seen)
                status, answer = api.respond(seen)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # keep the test output (and the log canary) quiet

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

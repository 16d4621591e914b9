"""A real SMTP server for the tests (aiosmtpd, in process) that can refuse the first N messages."""

from __future__ import annotations

import email
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """Keeps every accepted message; refuses (451) the first `refuse` attempts."""

    def __init__(self, refuse: int = 0, delay: float = 0.0) -> None:
        self.refuse = refuse
        self.delay = delay
        self.refused = 0
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "451 4.3.0 Try again later"
        if self.delay:
            time.sleep(self.delay)  # a slow server: blocks this test server's loop on purpose
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def by_recipient(self) -> dict[str, list[EmailMessage]]:
        out: dict[str, list[EmailMessage]] = {}
        with self.lock:
            for m in self.messages:
                out.setdefault(str(m["To"]), []).append(m)
        return out

    def wait_for(self, count: int, timeout: float = 60.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} e-mails within {timeout}s, got {len(self.messages)}")


@contextmanager
def smtp_server(refuse: int = 0, delay: float = 0.0) -> Iterator[tuple[Sink, int]]:
    sink = Sink(refuse, delay)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()

"""A lean websocket client for load generation: an asyncio Protocol, RFC 6455 by hand.

A thousand clients receiving 10,000 messages a second share 2 cores with the
server they measure; a full client library spends ~40 µs of Python per message
(frame objects, futures, a task wake-up), enough to starve itself and make the
server look slow. This one parses frames straight out of `data_received` and
hands each text payload to a callback with the time the chunk arrived.
No extensions, no fragmentation (servers under test send whole frames).
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import Callable

MASK = b"\x5a\x17\xc3\x8e"


def client_frame(text: str) -> bytes:
    """A masked text frame, client to server."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        head = bytes((0x81, 0x80 | size))
    elif size < 1 << 16:
        head = bytes((0x81, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x81, 0x80 | 127)) + size.to_bytes(8, "big")
    mask = (MASK * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(size, "big")
    return head + MASK + masked


class LoadClient(asyncio.Protocol):
    def __init__(self, host: str, port: int, path: str, on_text: Callable[[bytes, float], None]):
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}"
            "\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.on_text = on_text
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self.buffer = b""
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)

    def send(self, text: str) -> None:
        assert self.transport is not None
        self.transport.write(client_frame(text))

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.buffer += data
        if not self.upgraded:
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self.opened.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode()))
                return
            self.upgraded, self.buffer = True, rest
            self.opened.set_result(None)
        buf, pos = self.buffer, 0
        while len(buf) - pos >= 2:
            opcode, size = buf[pos] & 0x0F, buf[pos + 1] & 0x7F
            start = pos + 2
            if size == 126:
                if len(buf) - pos < 4:
                    break
                size, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif size == 127:
                if len(buf) - pos < 10:
                    break
                size, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            if len(buf) - start < size:
                break
            payload = buf[start : start + size]
            pos = start + size
            if opcode == 0x1:
                self.on_text(payload, now)
            elif opcode == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                if not self.closed.done():
                    self.closed.set_result(code)
                assert self.transport is not None
                self.transport.close()
                return
        self.buffer = buf[pos:]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed before the upgrade"))
        if not self.closed.done():
            self.closed.set_result(None)


async def connect(
    host: str, port: int, path: str, on_text: Callable[[bytes, float], None]
) -> LoadClient:
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: LoadClient(host, port, path, on_text), host, port
    )
    await asyncio.wait_for(client.opened, timeout=60)
    return client

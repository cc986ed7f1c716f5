"""A lean websocket load generator: many RFC 6455 clients, read by one epoll thread.

A thousand clients receiving 10,000 messages a second share 2 cores with the
server they measure, so the reading must cost less than the sending: a client
library spends ~40 µs of Python per message (frame objects, futures, a task
wake-up), an asyncio Protocol ~15 µs; this reader, one thread on `select.epoll`
with `recvmsg` and frames parsed by hand, a few µs. No extensions, no
fragmentation (servers under test send whole frames).

Each message carries two times. `arrived`: when the kernel put it in the
client's socket (SO_TIMESTAMPNS), the receive a browser on its own machine
would see. `read`: when this process got to it, which adds the queue of the
other clients' messages that arrived in the same instant, the cost of playing
1,000 clients in one thread rather than the server's.
"""

from __future__ import annotations

import base64
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable

MASK = b"\x5a\x17\xc3\x8e"
#: Linux's value where Python's socket module lacks the name.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("qq")
ANCILLARY = socket.CMSG_SPACE(TIMESPEC.size)
OnText = Callable[[bytes, float, float], None]


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


def split_frames(buf: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The whole (opcode, payload) frames at the start of `buf` and the bytes left over."""
    frames, pos = [], 0
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
        frames.append((opcode, buf[start : start + size]))
        pos = start + size
    return frames, buf[pos:]


class LoadClient:
    """One upgraded connection; blocking `receive` until a `Reader` takes it over."""

    def __init__(self, host: str, port: int, path: str, timeout: float = 60.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before the upgrade")
            head += chunk
        head, _, self.buffer = head.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError(status.decode(errors="replace"))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.pending: list[tuple[int, bytes]] = []

    def send(self, text: str) -> None:
        self.sock.sendall(client_frame(text))

    def receive(self) -> bytes:
        """The next text frame (before a Reader runs: the handshake's replies)."""
        while True:
            frames, self.buffer = split_frames(self.buffer)
            self.pending += frames
            while self.pending:
                opcode, payload = self.pending.pop(0)
                if opcode == 0x1:
                    return payload
                if opcode == 0x8:
                    code = int.from_bytes(payload[:2], "big")
                    raise ConnectionError(
                        f"closed with {code}: {payload[2:].decode(errors='replace')}"
                    )
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


class Reader:
    """One thread reading every client: `on_text(payload, arrived, read)` per text frame."""

    def __init__(self, clients: list[LoadClient], on_text: OnText) -> None:
        self.clients = {c.sock.fileno(): c for c in clients}
        self.on_text = on_text
        self.poll = select.epoll()
        for fd in self.clients:
            self.poll.register(fd, select.EPOLLIN)
        self.unstamped = 0  # frames read without a kernel time (then `arrived` is `read`)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-reader", daemon=True)

    def start(self) -> None:
        for client in self.clients.values():
            for opcode, payload in client.pending:  # read during the handshake
                if opcode == 0x1:
                    self.on_text(payload, time.time(), time.time())
            client.pending = []
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.poll.close()

    def _run(self) -> None:
        clients, on_text, unpack = self.clients, self.on_text, TIMESPEC.unpack
        while not self._stop.is_set():
            for fd, _ in self.poll.poll(0.2):
                client = clients[fd]
                data, ancillary, _, _ = client.sock.recvmsg(65536, ANCILLARY)
                read = time.time()
                if not data:
                    self.poll.unregister(fd)
                    continue
                arrived = read
                for _level, kind, stamp in ancillary:
                    if kind == SO_TIMESTAMPNS:
                        seconds, nanoseconds = unpack(stamp)
                        arrived = seconds + nanoseconds * 1e-9
                if not ancillary:
                    self.unstamped += 1
                frames, client.buffer = split_frames(client.buffer + data)
                for opcode, payload in frames:
                    if opcode == 0x1:  # a close frame is followed by the end of the stream
                        on_text(payload, arrived, read)

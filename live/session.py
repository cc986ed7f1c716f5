"""What a /ws request handler works with: the app's runtime, the caller and the connection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from auth import Credential, User
from context import Runtime
from data.entities import KnownIds
from live.connection import Connection, StoreCalls
from live.hub import Subscription

T = TypeVar("T")


@dataclass
class Session:
    runtime: Runtime
    connection: Connection
    calls: StoreCalls
    known: KnownIds
    #: The caller; None until an `auth` message when the handshake carried no session.
    user: User | None
    #: What `user` authenticated with, asked again while the socket is open.
    credential: Credential | None = None
    subscription: Subscription | None = None

    def store(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run store work off the socket's thread, with the StoreCalls timeout."""
        return self.calls.run(fn, *args, **kwargs)

"""Start-up checks: refuse to serve with a store or Redis that cannot be reached.

Without them gunicorn boots workers that each fail building the app, prints a
worker's traceback and gives up ("Worker failed to boot"), or, with Redis
down, serves pages whose live updates never arrive. Each check raises a
ConfigError naming the setting to fix, which gunicorn.conf.py and `serve`
print as one line.
"""

from __future__ import annotations

import redis

from data import open_store
from data.readpath import first_line
from errors import ConfigError
from settings import ENV_PREFIX, Config

#: Longest a start-up check waits for Redis to answer.
REDIS_TIMEOUT_SECONDS = 5.0


def check_startup(config: Config) -> None:
    """Reach the store and bring its schema up to date, then reach Redis when configured.

    The schema is migrated here, once, before gunicorn forks: workers migrating a
    fresh store at the same moment collide ("table already exists").
    """
    try:
        store = open_store(config)
        try:
            store.create_schema()
        finally:
            store.close()
    except Exception as exc:  # any failure here means: this backend cannot be used
        raise _refused("backend", getattr(exc, "message", None) or first_line(exc)) from None
    if config.redis_url:
        client = redis.Redis.from_url(
            config.redis_url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        except redis.RedisError as exc:
            # the URL is not repeated: it may hold a password
            raise _refused("redis_url", f"Redis did not answer: {exc}") from None
        finally:
            client.close()


def _refused(setting: str, why: str) -> ConfigError:
    return ConfigError(f"key '{setting}' ({ENV_PREFIX}{setting.upper()}) cannot be used: {why}")

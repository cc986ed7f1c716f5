"""The key that signs session cookies and bearer tokens.

In production (a non-loopback `host`) it is `secret_key`, from VIGIL_SECRET_KEY
only; settings.py refuses to start without it. On a developer's machine
without one, a random key is made once and kept in the instance folder beside
the config file, so restarts, gunicorn workers and the CLI (`create-token`)
all sign with the same key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from errors import ConfigError
from settings import Config

FILE_NAME = "secret_key"


def instance_folder(config: Config) -> Path:
    return Path(config.source).resolve().parent / "instance"


def secret_key(config: Config) -> str:
    if config.secret_key:
        return config.secret_key
    path = instance_folder(config) / FILE_NAME
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{FILE_NAME}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key)
        try:
            os.link(draft, path)  # atomic: the first worker's key wins, whole
        except FileExistsError:
            key = path.read_text().strip()
        finally:
            draft.unlink()
    except OSError as exc:
        raise ConfigError(
            f"cannot keep a signing key in {path} ({exc.strerror}): set VIGIL_SECRET_KEY "
            "(key 'secret_key')"
        ) from None
    return key

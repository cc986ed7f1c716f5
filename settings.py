"""Every setting of Vigil, declared once, and the loader that validates them.

The list `SETTINGS` is the single source of truth: the loader validates
against it, `python app.py settings` prints it, and a test checks that the
README documents every entry. Nothing else in the code reads config.json or
the environment for a setting.
"""

from __future__ import annotations

import ipaddress
import json
import os
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_PATH = PROJECT_DIR / "config.json"
ENV_PREFIX = "VIGIL_"


class _Required:
    def __repr__(self) -> str:
        return "required"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    help: str
    check: Callable[[Any], str | None] | None = None
    item_type: type | None = None  # for list settings
    #: Only from the environment (VIGIL_<NAME>): a secret never sits in config.json.
    env_only: bool = False

    def describe_type(self) -> str:
        """The expected type as an error message says it: 'an integer', 'a list of str'."""
        if self.type is list:
            return f"a list of {self.item_type.__name__}" if self.item_type else "a list"
        return {str: "a string", int: "an integer", bool: "a boolean", float: "a number"}[self.type]


def _port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else "an integer between 1 and 65535"


def _positive(value: float) -> str | None:
    return None if value > 0 else "a number above 0"


def _ratio(value: float) -> str | None:
    return None if 0 < value <= 1 else "a number above 0 and at most 1"


def _percent(value: float) -> str | None:
    return None if 0 <= value <= 100 else "a number from 0 to 100"


def _not_negative(value: float) -> str | None:
    return None if value >= 0 else "a number of at least 0"


def _time_zone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "an IANA time zone name such as UTC or Europe/Berlin"
    return None


def _backend_url(value: str) -> str | None:
    schemes = ("sqlite://", "postgresql://", "postgresql+psycopg2://", "bigquery://")
    if value.startswith(schemes):
        return None
    return "a URL starting with " + ", ".join(schemes)


def _redis_url(value: str) -> str | None:
    schemes = ("redis://", "rediss://", "unix://")
    if value == "" or value.startswith(schemes):
        return None
    return "empty, or a URL starting with " + ", ".join(schemes)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "backend",
        str,
        REQUIRED,
        "Where the data lives: sqlite:///PATH (a relative PATH is relative to the "
        "config file), postgresql://USER@HOST/DB or bigquery://PROJECT/DATASET.",
        _backend_url,
    ),
    Setting("port_number", int, REQUIRED, "Port the server listens on (seed 000).", _port),
    Setting(
        "host",
        str,
        "127.0.0.1",
        "Address to bind. The PORT environment variable (Cloud Run) switches it to 0.0.0.0.",
    ),
    Setting("dataset_id", str, "", "BigQuery dataset holding the tables (seed 000)."),
    Setting(
        "bigquery_maximum_bytes_billed",
        int,
        10_000_000_000,
        "BigQuery: most bytes one query may bill (10 GB); a query that would scan more "
        "fails instead of running.",
        _positive,
    ),
    Setting(
        "bigquery_location",
        str,
        "US",
        "BigQuery: location of the dataset and of every job (US, EU, europe-west1, ...).",
    ),
    Setting(
        "bigquery_storage_api",
        bool,
        False,
        "BigQuery: read large results through the Storage Read API (needs the "
        "google-cloud-bigquery-storage and pyarrow packages) instead of REST.",
    ),
    Setting(
        "cols_from_anomaly_tab",
        list,
        ["id", "table_name", "entity_id", "start", "end", "score", "detector", "status"],
        "Columns of the anomaly table shown in the review list (seed 000).",
        item_type=str,
    ),
    Setting(
        "init_cols_for_plot",
        list,
        ["current", "voltage"],
        "Columns preselected when a table is opened in Explore (seed 000).",
        item_type=str,
    ),
    Setting(
        "timestamp_column_name",
        str,
        "time",
        "Name of the time column of each table; the first timestamp column is used "
        "when a table has no column of this name (seed 000).",
    ),
    Setting(
        "label_column_name",
        str,
        "label",
        "Name of a column holding ground-truth labels in user tables (seed 000).",
    ),
    Setting("scale_data", bool, False, "Scale plotted series by default (seed 000)."),
    Setting(
        "scaler",
        str,
        "standard",
        "scikit-learn scaler used when scaling is on: standard, minmax or robust.",
        lambda v: None if v in ("standard", "minmax", "robust") else "standard, minmax or robust",
    ),
    Setting(
        "demo_data",
        bool,
        True,
        "Fill an empty store with demo data (simulated plant and NAB) on first start.",
    ),
    Setting(
        "demo_days",
        float,
        1.0,
        "Days of simulated data made on first start (at least one hour: 0.0417).",
        lambda v: None if v >= 1 / 24 else "a number of days of at least 0.0417 (one hour)",
    ),
    Setting("demo_seed", int, 7, "Seed of the demo simulator, for repeatable data."),
    Setting(
        "max_points",
        int,
        2000,
        "Most points drawn per series in a chart; longer ranges are downsampled in the store (M4).",
        lambda v: None if v >= 16 else "an integer of at least 16",
    ),
    Setting(
        "silence_minutes",
        float,
        10.0,
        "A sensor with no heartbeat for longer than this is counted as silent (seed 004).",
        _positive,
    ),
    Setting(
        "page_refresh_seconds",
        float,
        5.0,
        "How often the Machines, Batteries and Sensors pages ask the store for fresh values.",
        lambda v: None if v >= 1 else "a number of at least 1",
    ),
    Setting(
        "plant_timezone",
        str,
        "UTC",
        "Time zone of the plant: the days and operator shifts of the machine pages "
        "are counted in it (an IANA name such as Europe/Berlin).",
        _time_zone,
    ),
    Setting(
        "machine_on_voltage_ratio",
        float,
        0.5,
        "A machine whose voltage is below this share of its element type's standard "
        "voltage is off (seed 002).",
        _ratio,
    ),
    Setting(
        "machine_idle_current_ratio",
        float,
        0.02,
        "A powered machine drawing less than this share of its element type's standard "
        "current is off too: switched off behind a live supply.",
        _ratio,
    ),
    Setting(
        "machine_production_current_ratio",
        float,
        0.5,
        "A powered machine drawing at least this share of its element type's standard "
        "current is in production; between the two current ratios it is idle.",
        _ratio,
    ),
    Setting(
        "machine_min_state_seconds",
        float,
        5.0,
        "A state lasting less than this is merged into the state before it, so noise "
        "around a threshold does not break the timeline into slivers.",
        _not_negative,
    ),
    Setting(
        "machine_reading_gap_seconds",
        float,
        60.0,
        "Readings further apart than this leave a gap of no data: the time is not "
        "counted in the state before it.",
        _positive,
    ),
    Setting(
        "battery_max_temperature",
        float,
        45.0,
        "Over-temperature alarm: a battery above this temperature (degrees C) (seed 003).",
    ),
    Setting(
        "battery_min_temperature",
        float,
        0.0,
        "Under-temperature alarm: a battery below this temperature (degrees C).",
    ),
    Setting(
        "battery_min_state_of_charge",
        float,
        20.0,
        "Low-charge alarm: a battery whose state of charge (%) is below this.",
        _percent,
    ),
    Setting(
        "battery_min_state_of_health",
        float,
        80.0,
        "Health alarm: a battery whose state of health (%) is below this.",
        _percent,
    ),
    Setting(
        "redis_url",
        str,
        "",
        "Redis for live updates shared by every process (redis://HOST:6379/0); empty: "
        "updates stay inside this process, so run a single process (seed 003).",
        _redis_url,
    ),
    Setting(
        "auth",
        bool,
        True,
        "Accounts, roles and tokens. false: no logins, every request is one local "
        "admin; refused unless host is a loopback address.",
    ),
    Setting(
        "secret_key",
        str,
        "",
        "Signs session cookies and bearer tokens; only from the environment. Required "
        "when host is not a loopback address; otherwise a random key is kept in the "
        "instance folder.",
        lambda v: None if v == "" or len(v) >= 32 else "at least 32 characters",
        env_only=True,
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Rule:
    """A check across settings: `first` must stay below `second`."""

    first: str
    second: str

    def broken(self, values: Mapping[str, Any]) -> str | None:
        low, high = values[self.first], values[self.second]
        if low < high:
            return None
        return (
            f"key '{self.first}' ({json.dumps(low)}) must be below "
            f"key '{self.second}' ({json.dumps(high)})"
        )


#: Checks that need more than one value; each runs once every value is known.
RULES: tuple[Rule, ...] = (
    Rule("machine_idle_current_ratio", "machine_production_current_ratio"),
    Rule("battery_min_temperature", "battery_max_temperature"),
)


class Config(dict):
    """Validated settings; read them as attributes (`config.backend`)."""

    source: str = "<defaults>"

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _coerce(setting: Setting, value: Any, origin: str) -> Any:
    """Return value if it matches the setting's type, else raise naming the key."""

    def fail(expected: str) -> ConfigError:
        shown = "a value not shown" if setting.env_only else json.dumps(value)
        return ConfigError(f"{origin}: key '{setting.name}' must be {expected}, got {shown}")

    ok: bool
    if setting.type is bool:
        ok = isinstance(value, bool)
    elif setting.type is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif setting.type is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif setting.type is list:
        ok = isinstance(value, list) and all(isinstance(v, setting.item_type) for v in value)
    else:
        ok = isinstance(value, setting.type)
    if not ok:
        raise fail(setting.describe_type())
    if setting.check and (expected := setting.check(value)):
        raise fail(expected)
    return value


def _from_env(setting: Setting, raw: str) -> Any:
    """Environment values are text: strings stay as they are, the rest is JSON."""
    if setting.type is str:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw  # _coerce then reports the wrong type with the key's name


def _resolve_sqlite_path(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite://" or url.startswith("sqlite:////"):
        return url
    path = url[len(prefix) :]
    if path.startswith(":memory:"):
        return url
    return prefix + str((base / path).resolve())


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def production(config: Mapping[str, Any]) -> bool:
    """Production mode: Vigil binds an address other machines can reach."""
    return not is_loopback(config["host"])


def _check_production(values: Mapping[str, Any], path: Path) -> None:
    """On a reachable address accounts stay on and the signing key is the operator's."""
    if not production(values):
        return
    where = f"{path}: host {values['host']} is not a loopback address"
    if not values["auth"]:
        raise ConfigError(
            f"{where}, so key 'auth' cannot be false: 'auth: false' is for one local user"
        )
    if not values["secret_key"]:
        raise ConfigError(
            f"{where}, so key 'secret_key' is required: set {ENV_PREFIX}SECRET_KEY "
            "to a long random string (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )


def load_config(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Read config.json (or VIGIL_CONFIG), apply VIGIL_* and PORT, validate.

    Precedence, lowest first: defaults, the file, the environment, `overrides`
    (used by tests and CLI flags). Raises ConfigError naming the bad key.
    """
    env = os.environ if env is None else env
    path = Path(path or env.get("VIGIL_CONFIG") or DEFAULT_CONFIG_PATH)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must hold one JSON object of settings")

    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _BY_NAME:
            known = ", ".join(sorted(_BY_NAME))
            raise ConfigError(f"{path}: unknown key '{key}' (known keys: {known})")
        if _BY_NAME[key].env_only:
            raise ConfigError(
                f"{path}: key '{key}' is a secret: set it in the environment as "
                f"{ENV_PREFIX}{key.upper()}, never in the config file"
            )
        values[key] = _coerce(_BY_NAME[key], value, str(path))

    for setting in SETTINGS:
        var = ENV_PREFIX + setting.name.upper()
        if var in env:
            values[setting.name] = _coerce(setting, _from_env(setting, env[var]), var)
    if "PORT" in env:
        values["port_number"] = _coerce(
            _BY_NAME["port_number"], _from_env(_BY_NAME["port_number"], env["PORT"]), "PORT"
        )
        values["host"] = "0.0.0.0"
    for key, value in (overrides or {}).items():
        if key not in _BY_NAME:
            raise ConfigError(f"unknown setting '{key}'")
        values[key] = _coerce(_BY_NAME[key], value, "override")

    for setting in SETTINGS:
        if setting.name not in values:
            if setting.default is REQUIRED:
                raise ConfigError(
                    f"{path}: required key '{setting.name}' is missing "
                    f"(expected {setting.describe_type()}: {setting.help})"
                )
            values[setting.name] = setting.default
    for rule in RULES:
        if message := rule.broken(values):
            raise ConfigError(f"{path}: {message}")
    _check_production(values, path)
    values["backend"] = _resolve_sqlite_path(values["backend"], path.parent.resolve())
    config = Config(values)
    config.source = str(path)
    return config

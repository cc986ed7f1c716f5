"""The config loader: every mistake stops the start with the key's name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from errors import ConfigError
from settings import DEFAULT_CONFIG_PATH, SETTINGS, load_config

BASE = {"backend": "sqlite:///vigil.db", "port_number": 8080}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_shipped_config_is_valid_and_complete() -> None:
    config = load_config(DEFAULT_CONFIG_PATH, env={})
    assert config.port_number == 8080
    assert config.backend.startswith("sqlite:///") and config.backend.endswith("instance/vigil.db")
    assert set(config) == {s.name for s in SETTINGS}
    shipped = json.loads(DEFAULT_CONFIG_PATH.read_text())
    seed_000 = {
        "dataset_id",
        "cols_from_anomaly_tab",
        "init_cols_for_plot",
        "timestamp_column_name",
        "label_column_name",
        "scale_data",
        "port_number",
    }
    assert seed_000 <= set(shipped)


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE), env={})
    assert config.backend == f"sqlite:///{tmp_path.resolve()}/vigil.db"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**BASE, "colour": "red"}, "unknown key 'colour'"),
        ({**BASE, "port_number": "8080"}, "key 'port_number' must be an integer"),
        ({**BASE, "port_number": 70000}, "'port_number' must be an integer between 1 and 65535"),
        ({**BASE, "scale_data": "yes"}, "key 'scale_data' must be a boolean"),
        ({**BASE, "init_cols_for_plot": "current"}, "'init_cols_for_plot' must be a list of str"),
        ({**BASE, "init_cols_for_plot": [1, 2]}, "'init_cols_for_plot' must be a list of str"),
        ({**BASE, "backend": "mysql://x"}, "'backend' must be a URL starting with sqlite://"),
        ({**BASE, "max_points": 3}, "'max_points' must be an integer of at least 16"),
        ({**BASE, "demo_days": 0.01}, "'demo_days' must be a number of days of at least 0.0417"),
        ({**BASE, "scaler": "zscore"}, "'scaler' must be standard, minmax or robust"),
        ({**BASE, "plant_timezone": "Mars/Olympus"}, "'plant_timezone' must be an IANA time zone"),
        ({**BASE, "machine_on_voltage_ratio": -0.5}, "'machine_on_voltage_ratio' must be a number"),
        ({**BASE, "machine_production_current_ratio": 2}, "'machine_production_current_ratio'"),
        ({**BASE, "machine_min_state_seconds": -1}, "'machine_min_state_seconds' must be a number"),
        ({**BASE, "machine_reading_gap_seconds": 0}, "'machine_reading_gap_seconds' must be"),
        ({**BASE, "battery_min_state_of_charge": 120}, "'battery_min_state_of_charge' must be"),
        ({**BASE, "battery_min_state_of_health": -5}, "'battery_min_state_of_health' must be"),
        ({**BASE, "page_refresh_seconds": 0.1}, "'page_refresh_seconds' must be a number of at"),
        ({"port_number": 8080}, "required key 'backend' is missing"),
        ({"backend": "sqlite:///x.db"}, "required key 'port_number' is missing"),
        ([1, 2], "one JSON object"),
        ("{not json", "not valid JSON"),
    ],
)
def test_broken_config_names_the_key(tmp_path: Path, data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(write(tmp_path, data), env={})


def test_missing_file_says_which(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file .*nowhere\.json"):
        load_config(tmp_path / "nowhere.json", env={})


def test_environment_overrides(tmp_path: Path) -> None:
    other = write(tmp_path, {**BASE, "port_number": 9000})
    env = {
        "VIGIL_CONFIG": str(other),
        "VIGIL_BACKEND": "postgresql://postgres@127.0.0.1/test",
        "VIGIL_SCALE_DATA": "true",
        "VIGIL_INIT_COLS_FOR_PLOT": '["voltage"]',
    }
    config = load_config(env=env)
    assert config.port_number == 9000 and config.host == "127.0.0.1"
    assert config.backend == "postgresql://postgres@127.0.0.1/test"
    assert config.scale_data is True and config.init_cols_for_plot == ["voltage"]


def test_port_variable_binds_all_interfaces(tmp_path: Path) -> None:
    secret = "s" * 40
    config = load_config(write(tmp_path, BASE), env={"PORT": "5000", "VIGIL_SECRET_KEY": secret})
    assert (config.port_number, config.host) == (5000, "0.0.0.0")


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="VIGIL_SCALE_DATA: key 'scale_data' must be a boolean"):
        load_config(write(tmp_path, BASE), env={"VIGIL_SCALE_DATA": "maybe"})
    with pytest.raises(ConfigError, match="PORT: key 'port_number'"):
        load_config(write(tmp_path, BASE), env={"PORT": "http"})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"machine_idle_current_ratio": 0.6, "machine_production_current_ratio": 0.5},
            "key 'machine_idle_current_ratio' (0.6) must be below "
            "key 'machine_production_current_ratio' (0.5)",
        ),
        (
            {"machine_idle_current_ratio": 0.5, "machine_production_current_ratio": 0.5},
            "key 'machine_idle_current_ratio' (0.5) must be below",
        ),
        (
            {"battery_min_temperature": 50},
            "key 'battery_min_temperature' (50.0) must be below "
            "key 'battery_max_temperature' (45.0)",
        ),
    ],
)
def test_settings_that_contradict_each_other_are_refused(
    tmp_path: Path, values: dict, message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write(tmp_path, {**BASE, **values}), env={})


def test_a_contradiction_made_by_the_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'battery_min_temperature'"):
        load_config(write(tmp_path, BASE), env={"VIGIL_BATTERY_MAX_TEMPERATURE": "-5"})


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "vigil.example.com", "::"])
def test_production_needs_auth_on_and_a_secret_key(tmp_path: Path, host: str) -> None:
    path = write(tmp_path, {**BASE, "host": host})
    secret = {"VIGIL_SECRET_KEY": "s" * 40}
    with pytest.raises(ConfigError, match="key 'secret_key' is required"):
        load_config(path, env={})
    with pytest.raises(ConfigError, match="key 'auth' cannot be false"):
        load_config(path, env={**secret, "VIGIL_AUTH": "false"})
    assert load_config(path, env=secret).secret_key == "s" * 40


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_a_loopback_host_may_turn_auth_off(tmp_path: Path, host: str) -> None:
    config = load_config(write(tmp_path, {**BASE, "host": host, "auth": False}), env={})
    assert config.auth is False and config.secret_key == ""


def test_the_secret_key_is_refused_in_the_file_and_never_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="VIGIL_SECRET_KEY, never in the config file"):
        load_config(write(tmp_path, {**BASE, "secret_key": "s" * 40}), env={})
    with pytest.raises(ConfigError, match="at least 32 characters") as refused:
        load_config(write(tmp_path, BASE), env={"VIGIL_SECRET_KEY": "short-secret"})
    assert "short-secret" not in refused.value.message

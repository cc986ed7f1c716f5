"""The data layer: the Store contract, its backends, the schema and demo data.

Nothing here imports Dash: pages, the API and the websockets all come here.
"""

from __future__ import annotations

from data.store import Store
from errors import ConfigError
from settings import Config


def open_store(config: Config) -> Store:
    """The Store for the configured backend URL."""
    url = config.backend
    if url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg2:")):
        from data.sql_store import SQLStore

        return SQLStore(
            url, time_column=config.timestamp_column_name, label_column=config.label_column_name
        )
    if url.startswith("bigquery:"):
        from data.bigquery_store import BigQueryStore

        return BigQueryStore.from_config(config)
    raise ConfigError(
        f"backend '{url}' is not supported (use sqlite://, postgresql:// or bigquery://)"
    )

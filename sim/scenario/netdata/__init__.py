"""Network data: one columnar form (:class:`NetworkTables`) read from and written to YAML,
JSON, GraphML and Parquet, checked column by column with located messages."""

from sim.scenario.netdata.files import FORMATS, read_network, tables_from_records, write_network
from sim.scenario.netdata.tables import NetworkTables

__all__ = ["FORMATS", "NetworkTables", "read_network", "tables_from_records", "write_network"]

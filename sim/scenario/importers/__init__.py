"""Importers: networks of other tools turned into ripple network files.

Each reads one source format into :class:`sim.scenario.netdata.NetworkTables` and says what it
mapped, dropped and left unplaced (:class:`ImportReport`); the file it writes is any format
:func:`sim.scenario.netdata.write_network` knows.
"""

from sim.scenario.importers.report import ImportFailed, ImportReport

__all__ = ["ImportFailed", "ImportReport"]

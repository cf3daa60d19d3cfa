"""``--map FIELD=ATTRIBUTE[*FACTOR]``: which attribute of a foreign source each ripple field is read from.

Shared by the GraphML and GIS importers (docs/import.md). Besides each importer's own fields,
the power-flow fields a ``physics: dc`` sector reads (:data:`sim.scenario.schema.PHYSICS_LINK_FIELDS`,
:data:`~sim.scenario.schema.PHYSICS_NODE_FIELDS`) are read, checked and written into the
node's or link's ``attrs`` under their own names: from the attribute ``--map`` names (a number
optionally times a factor, ``p_load_mw=load_kw*0.001``), else from an attribute of the field's
own name. A reactance in ohms may be mapped instead of ``x_pu``: ``x_ohm`` with the nominal
voltage ``vn_kv`` (of the link, else of its ends) becomes ``x_pu = x_ohm · 100 / vn_kv²``, per
unit on 100 MVA (the base impedance is ``vn_kv² / 100`` ohm).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

import numpy as np

from sim.scenario.importers.ppelectric import BASE_MVA
from sim.scenario.importers.report import ImportFailed, ImportReport
from sim.scenario.importers.sourcedata import plain
from sim.scenario.schema import PHYSICS_LINK_FIELDS, PHYSICS_NODE_FIELDS

__all__ = ["FLAGS", "OHM_FIELDS", "PhysicsFields", "field_sources", "number", "parse_mapping", "yes_no"]

OHM_FIELDS = ("x_ohm", "vn_kv")     # read only where --map names them; x_ohm becomes x_pu
FLAGS = ("source", "open", "slack")  # yes or no: they take no factor
_TRUE, _FALSE = {"true", "yes", "y", "1", "t"}, {"false", "no", "n", "0", "f", ""}
_POSITIVE = ("rating_mva", "vn_kv")
_NOT_NEGATIVE = ("p_max_mw",)


def parse_mapping(items: list[str]) -> dict[str, str]:
    """``--map FIELD=ATTRIBUTE`` options as the mapping the importers take.

    Parameters
    ----------
    items : list of str
        ``FIELD=ATTRIBUTE``, or for a number ``FIELD=ATTRIBUTE*FACTOR`` (``population=load_mw*1000``);
        ``FIELD=`` reads the field from nowhere (an attribute of its name that means something else
        is then kept in ``attrs``).

    Returns
    -------
    dict
        ripple field → attribute (with its factor, as written).

    Raises
    ------
    ImportFailed
        For an item without ``=``.

    Examples
    --------
    >>> parse_mapping(["population=load_mw*1000", "x = lon"])
    {'population': 'load_mw*1000', 'x': 'lon'}
    """
    out: dict[str, str] = {}
    for item in items:
        field, sep, attribute = item.partition("=")
        if not sep or not field.strip():
            raise ImportFailed(f"--map {item}: write FIELD=ATTRIBUTE, e.g. population=load_mw")
        out[field.strip()] = attribute.strip()
    return out


def field_sources(mapping: Mapping[str, Any], known: tuple[str, ...], numbers: tuple[str, ...],
                  others: str = "") -> dict[str, tuple[str, float]]:
    """ripple field → (attribute, factor), each field checked to be one the importer knows.

    Parameters
    ----------
    mapping : dict
        ripple field → attribute, as :func:`parse_mapping` gives it (or a scenario part's ``mapping``).
    known : tuple of str
        The fields the importer maps.
    numbers : tuple of str
        Those of them that are numbers, and so may carry a factor.
    others : str
        Said after the fields known when a field is not one of them (where the importer
        takes the others from).

    Returns
    -------
    dict
        The attribute (empty: read from nowhere) and the factor of each field mapped.

    Raises
    ------
    ImportFailed
        For a field not known, an attribute that is not text, a factor that is not a finite
        number, or a factor on a field that is not a number.

    Examples
    --------
    >>> field_sources({"p_load_mw": "load_kw*0.001"}, ("p_load_mw",), ("p_load_mw",))
    {'p_load_mw': ('load_kw', 0.001)}
    """
    out: dict[str, tuple[str, float]] = {}
    for field, attribute in mapping.items():
        if field not in known:
            raise ImportFailed(f"--map {field}={attribute}: ripple has no field '{field}' here; it knows "
                               f"{', '.join(sorted(known))}{others}")
        if not isinstance(attribute, str):
            raise ImportFailed(f"--map {field}={attribute}: name the attribute to read {field} from")
        factor = 1.0
        if "*" in attribute and field in FLAGS:
            raise ImportFailed(f"--map {field}={attribute}: {field} is yes or no, it takes no factor")
        if "*" in attribute and field in numbers:
            attribute, _, text = attribute.rpartition("*")
            try:
                factor = float(text)
            except ValueError:
                raise ImportFailed(f"--map {field}={attribute}*{text}: the factor '{text}' is not a number") from None
            if not np.isfinite(factor):
                raise ImportFailed(f"--map {field}={attribute}*{text}: the factor must be a finite number")
        out[field] = (attribute.strip(), factor)
    if "x_ohm" in out and "x_pu" in out:
        raise ImportFailed("--map x_pu and --map x_ohm: map the reactance once, per unit or in ohms")
    if "x_ohm" in out and not out.get("vn_kv", ("",))[0]:
        raise ImportFailed(f"--map x_ohm={out['x_ohm'][0]}: a reactance in ohms needs the nominal voltage to become "
                           f"per unit: --map vn_kv=ATTRIBUTE (of the nodes or the links, in kV)")
    return out


def yes_no(value: Any, where: str, field: str, attribute: str) -> bool:
    """A yes/no attribute (bool, 0/1, true/false/yes/no).

    Parameters
    ----------
    value : object
        The attribute's value.
    where : str
        The node, link or feature, for messages.
    field, attribute : str
        The ripple field and the attribute it is read from, for messages.

    Returns
    -------
    bool

    Raises
    ------
    ImportFailed
        For any other value, saying how to keep the attribute in ``attrs`` instead.

    Examples
    --------
    >>> yes_no("Yes", "node 'a'", "slack", "is_slack"), yes_no(0, "node 'a'", "slack", "is_slack")
    (True, False)
    """
    value = plain(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ImportFailed(f"{where}: {field} (attribute '{attribute}') is '{value}', not yes or no (to keep that "
                       f"attribute in attrs instead: --map {field}=)")


def number(value: Any, factor: float, what: str, field: str) -> float:
    """A numeric attribute times ``factor``.

    Parameters
    ----------
    value : object
        The attribute's value (a number, or text of one).
    factor : float
        Its factor.
    what : str
        The value as messages name it (``node 'a': population (attribute 'people')``).
    field : str
        The ripple field, for the hint to keep the attribute in ``attrs`` instead.

    Returns
    -------
    float

    Raises
    ------
    ImportFailed
        When the value is not a finite number.

    Examples
    --------
    >>> number("250", 0.001, "node 'a': p_load_mw (attribute 'load_kw')", "p_load_mw")
    0.25
    """
    value = plain(value)
    try:
        if isinstance(value, bool):
            raise ValueError
        result = float(value) * factor
    except (TypeError, ValueError):
        raise ImportFailed(f"{what} is '{value}', not a number (to keep that attribute in attrs instead: "
                           f"--map {field}=)") from None
    if not np.isfinite(result):
        raise ImportFailed(f"{what} is '{value}', not a finite number")
    return result


class PhysicsFields:
    """The power-flow fields of nodes and links, read from the attributes mapped to them.

    Parameters
    ----------
    sources : dict
        ripple field → (attribute, factor), from :func:`field_sources`; a power-flow field
        not in it is read from the attribute of its own name, ``x_ohm`` and ``vn_kv`` only
        when mapped.
    """

    def __init__(self, sources: Mapping[str, tuple[str, float]]):
        self.sources = dict(sources)
        mapped = tuple(field for field in OHM_FIELDS if field in self.sources)
        self.fields = {"node": PHYSICS_NODE_FIELDS + tuple(f for f in mapped if f == "vn_kv"),
                       "link": PHYSICS_LINK_FIELDS + mapped}
        self.counts: Counter = Counter()

    def source(self, field: str) -> tuple[str, float]:
        """The attribute and factor ``field`` is read from.

        Parameters
        ----------
        field : str
            A power-flow field.

        Returns
        -------
        tuple
        """
        return self.sources.get(field, (field, 1.0))

    def attributes(self, what: str) -> set[str]:
        """The attributes the power-flow fields of nodes (``what="node"``) or links are read from.

        Parameters
        ----------
        what : str
            ``node`` or ``link``.

        Returns
        -------
        set of str
        """
        return {self.source(field)[0] for field in self.fields[what]} - {""}

    def read(self, data: Mapping[str, Any], what: str, where: str) -> dict[str, Any]:
        """The power-flow fields of one node or link, checked, by the names ``attrs`` keeps them under.

        Parameters
        ----------
        data : dict
            The source's attributes of the node or link.
        what : str
            ``node`` or ``link``.
        where : str
            The node or link as messages name it.

        Returns
        -------
        dict
            Field → a finite number, or True/False for ``slack``; fields without a value left out.

        Raises
        ------
        ImportFailed
            For a value that is not a number (or yes or no), or out of its range.
        """
        out: dict[str, Any] = {}
        for field in self.fields[what]:
            attribute, factor = self.source(field)
            value = plain(data.get(attribute)) if attribute else None
            if value is None or value == "":
                continue
            if field == "slack":
                out[field] = yes_no(value, where, field, attribute)
            else:
                out[field] = number(value, factor, f"{where}: {field} (attribute '{attribute}')", field)
                if field in _POSITIVE and out[field] <= 0 or field in _NOT_NEGATIVE and out[field] < 0:
                    raise ImportFailed(f"{where}: {field} (attribute '{attribute}') is {out[field]:g}, "
                                       f"{'not above' if field in _POSITIVE else 'below'} 0")
            self.counts[what, field] += 1
        return out

    def per_unit(self, attrs: dict[str, Any], ends_kv: list[Any], where: str) -> None:
        """Replace a link's ``x_ohm`` by ``x_pu`` on 100 MVA at its ``vn_kv`` (else its ends').

        Parameters
        ----------
        attrs : dict
            The link's attrs, as :meth:`read` gave them (changed in place).
        ends_kv : list
            ``vn_kv`` of its two ends (None where an end has none).
        where : str
            The link as messages name it.

        Raises
        ------
        ImportFailed
            When the link also has ``x_pu``, or no voltage is known, or its ends' voltages
            differ (a transformer: its reactance in ohms depends on the side).
        """
        if "x_ohm" not in attrs:
            return
        if "x_pu" in attrs:
            raise ImportFailed(f"{where} has both x_pu (attribute '{self.source('x_pu')[0]}') and x_ohm: give one")
        kv = attrs.get("vn_kv")
        if kv is None:
            known = sorted({float(v) for v in ends_kv if v is not None})
            if len(known) > 1:
                raise ImportFailed(f"{where} joins {known[0]:g} kV and {known[1]:g} kV: a transformer's reactance in "
                                   f"ohms depends on the side it is given for; give its x_pu instead")
            if not known:
                raise ImportFailed(f"{where} has x_ohm but neither it nor its ends have vn_kv (attribute "
                                   f"'{self.source('vn_kv')[0]}'), which turns ohms into per unit")
            kv = known[0]
        attrs["x_pu"] = attrs.pop("x_ohm") * BASE_MVA / kv ** 2
        self.counts["link", "x_pu from ohms"] += 1

    def report(self, report: ImportReport) -> None:
        """Tell ``report`` what was read into each power-flow field.

        Parameters
        ----------
        report : ImportReport
            Gets one ``mapped`` line per field read.
        """
        for (what, field), count in self.counts.items():
            if field == "x_ohm":        # told as it became x_pu
                continue
            attribute, factor = self.source("x_ohm" if field == "x_pu from ohms" else field)
            read = f"{attribute}{f'*{factor:g}' if factor != 1 else ''}"
            into = f"(ohm at vn_kv) -> x_pu on {BASE_MVA:g} MVA" if field == "x_pu from ohms" else f"-> {field}"
            report.mapped[f"{what} {read} {into}"] += count

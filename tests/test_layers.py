"""The layer contract of docs/architecture.md holds, and no modules import each other.

The contracts live in pyproject.toml (``[tool.importlinter]``); import-linter checks them,
counting imports inside functions and under ``TYPE_CHECKING``.
"""

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).parent.parent
PACKAGES = ("ripple", "dashboards", "sim", "agents")


def import_graph() -> nx.DiGraph:
    """Every module of the four packages, with an edge from each module to each it imports."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    edges = nx.DiGraph()
    edges.add_nodes_from(graph.modules)
    for module in graph.modules:
        edges.add_edges_from((module, imported) for imported in graph.find_modules_directly_imported_by(module))
    return edges


def cycles_in(edges: nx.DiGraph, modules: set[str]) -> list[str]:
    """The shortest import cycle through each of a set of modules that reach each other,
    each once, as ``a -> b -> a``."""
    tangle = edges.subgraph(modules)
    cycles: dict[frozenset, list[str]] = {}
    for module in sorted(modules):
        back = min((nx.shortest_path(tangle, successor, module) for successor in tangle.successors(module)),
                   key=len)
        cycle = [module, *back]
        cycles.setdefault(frozenset(zip(cycle, cycle[1:])), cycle)
    return [" -> ".join(cycle) for cycle in cycles.values()]


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_module_imports_one_that_imports_it_back():
    edges = import_graph()
    tangles = [group for group in nx.strongly_connected_components(edges) if len(group) > 1]
    assert not tangles, "import cycles:\n" + "\n".join(cycle for group in tangles for cycle in cycles_in(edges, group))

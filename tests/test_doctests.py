"""Every module documents its public names: ``__all__`` names what it defines, each public
function, method and class has a numpydoc docstring (with a Parameters section when it takes
arguments), and every Examples section runs as a doctest, so none of it can rot.
"""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGES = ("agents", "sim", "dashboards", "ripple")
MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for package in PACKAGES for path in (ROOT / package).rglob("*.py") if path.name != "__main__.py"
)
# methods that implement a library's hook keep the one-line docstring naming the hook; the
# consoles' commands (`do_*`) and the typer commands document themselves for their users
# (`help VERB`, `ripple COMMAND --help`), where a Parameters section would be printed too
HOOKS = {"precmd", "postcmd", "onecmd", "default", "emptyline", "preloop", "completenames", "completedefault",
         "render"}


def _typer_command(node: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "command" for d in node.decorator_list)


def undocumented(path: Path) -> list[str]:
    """The public definitions of one source file whose docstring is missing or lacks the
    Parameters section its arguments call for, as ``file:line name: what``."""
    tree, out = ast.parse(path.read_text()), []

    def visit(nodes: list[ast.stmt], owner: str) -> None:
        for node in nodes:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name.startswith("_"):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno} {owner}{node.name}"
            doc = ast.get_docstring(node)
            if not doc:
                out.append(f"{where}: no docstring")
            elif isinstance(node, ast.FunctionDef):
                args = [a.arg for a in node.args.args + node.args.kwonlyargs if a.arg not in ("self", "cls")]
                decorators = {getattr(d, "id", getattr(d, "attr", "")) for d in node.decorator_list}
                exempt = ("property" in decorators or node.name in HOOKS or node.name.startswith("do_")
                          or _typer_command(node))
                if args and not exempt and "Parameters" not in doc:
                    out.append(f"{where}: no Parameters section")
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{node.name}.")

    visit(tree.body, "")
    return out


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, raise_on_error=False, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_public_names(name: str) -> None:
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.__all__ names {public}, which it does not define"


def test_public_definitions_have_numpydoc_docstrings() -> None:
    findings = [line for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
                for line in undocumented(path)]
    assert not findings, "\n".join(findings)

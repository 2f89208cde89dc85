"""The shape of the code, kept by tests: packages in layers, no import cycles, short functions.

The layers are declared here, once, from the bottom up. A module may import modules of its own
layer and of the layers below it, never of a layer above. Every import counts, at module level,
inside a function or under ``TYPE_CHECKING``: an import moved into a function still ties the two
modules together, so it cannot be used to hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "standpunt"

#: The layers, bottom first. A name stands for a module or a whole package.
LAYERS: list[list[str]] = [
    [
        "standpunt",
        "standpunt.errors",
        "standpunt.i18n",
        "standpunt.limits",
        "standpunt.choices",
        "standpunt.pandoc",  # running the pandoc we ship, sandboxed
    ],
    ["standpunt.workspace"],  # files, the located YAML, the schema, a position's texts
    ["standpunt.evidence"],  # adding evidence: Zotero's CSL-JSON imported, DOIs fetched
    ["standpunt.cite"],  # find citations, locate them, format them with citeproc
    ["standpunt.versions"],  # git, history, the redline of two texts
    # fingerprint, statement, SSH signatures, signatures, sharing PDFs: import, reply, verify
    ["standpunt.coalition"],
    ["standpunt.checks"],  # what check verifies across files
    ["standpunt.buildstate"],  # what the last build made, from what
    ["standpunt.render"],  # templates, WeasyPrint, the render workers
    ["standpunt.build"],  # the build: plan, cite, render, write
    ["standpunt.preview"],  # the live preview
    ["standpunt.commands"],  # one function per command, returning a result
    ["standpunt.cli", "standpunt.__main__"],  # options in, text and exit codes out
]

#: The longest a function may be, in lines.
MAX_FUNCTION_LINES = 80


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


MODULES = modules()


def imported(module: str, path: Path) -> list[tuple[str, int]]:
    """Every Standpunt module ``module`` imports, anywhere in its file, with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from standpunt.cite import finder` imports the module standpunt.cite.finder
                candidate = f"{base}.{alias.name}"
                found.append((candidate if candidate in MODULES else base, node.lineno))
    return [(name, line) for name, line in found if name.split(".")[0] == "standpunt"]


def layer_of(module: str) -> int:
    """The layer of a module: the longest name in LAYERS that is the module or a package holding
    it. The root package stands for itself only, so a new module must be declared."""
    best: tuple[int, int] | None = None  # (length of the matching name, layer)
    for number, names in enumerate(LAYERS):
        for name in names:
            holds = module == name or (name != "standpunt" and module.startswith(name + "."))
            if holds and (best is None or len(name) > best[0]):
                best = (len(name), number)
    if best is None:
        raise AssertionError(f"{module} belongs to no layer; declare it in LAYERS")
    return best[1]


def test_every_module_belongs_to_a_layer():
    undeclared = []
    for module in MODULES:
        try:
            layer_of(module)
        except AssertionError:
            undeclared.append(module)
    assert undeclared == []


def test_a_module_nobody_declared_belongs_to_no_layer():
    with pytest.raises(AssertionError, match=r"standpunt\.render_helpers belongs to no layer"):
        layer_of("standpunt.render_helpers")
    assert layer_of("standpunt") == 0
    assert layer_of("standpunt.cite.finder.blocks") == LAYERS.index(["standpunt.cite"])


def test_no_module_imports_a_layer_above_its_own():
    wrong = []
    for module, path in MODULES.items():
        for target, line in imported(module, path):
            if layer_of(target) > layer_of(module):
                wrong.append(f"{path.relative_to(SRC)}:{line}: {module} imports {target}")
    assert wrong == []


def test_there_is_no_import_cycle():
    graph = {
        module: sorted({t for t, _ in imported(module, path) if t in MODULES and t != module})
        for module, path in MODULES.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in graph[module]:
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_layering_test_sees_hidden_imports(tmp_path):
    """The checks above read imports inside functions and under TYPE_CHECKING too."""
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from standpunt.build import build\n"
        "def f():\n"
        "    from standpunt.cite import finder\n"
        "    import standpunt.cli\n",
        encoding="utf-8",
    )
    assert imported("standpunt.workspace.probe", source) == [
        ("standpunt.build.build", 3),
        ("standpunt.cite.finder", 5),
        ("standpunt.cli", 6),
    ]


def _functions(path: Path) -> list[tuple[str, int, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.name, node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_function_is_longer_than_80_lines(module):
    path = MODULES[module]
    long = [
        f"{path.relative_to(SRC)}:{start}: {name} has {end - start + 1} lines"
        for name, start, end in _functions(path)
        if end - start + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []

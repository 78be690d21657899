"""The imports between the project's apps: no cycle, and the outbox stays below the domain.

Reads the source (ast), not the running program: every module of every project app but
its migrations and tests, every `import x` and `from x import y` wherever it is written
(inside a function too: a lazy import is still a dependency). Relative imports stay in
their app. `python -m tests.test_architecture` prints the graph.

The layering this keeps: accounts <- clients <- appointments <- sessions <- routines <-
reports <- demo, with outbox depending on accounts only; booking (online booking) builds on
appointments and is read by demo only; permission (the GP letter) sits on clients and imports
nothing above it: attention imports it, and clients and sessions read its rows through the
client's reverse relation `permission_requests`. An app lower down that needs
something from above takes it by registration (clients/panels.py) or through a reverse
relation, never by importing it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent

# What the outbox may import of the project; Django, the standard library and the
# third-party packages are not apps of the project and are not in the graph.
OUTBOX_MAY_IMPORT = {"accounts"}

Graph = dict[tuple[str, str], list[str]]


def project_apps() -> dict[str, Path]:
    """Installed apps whose package is a folder of this repository, by package name."""
    found = {}
    for config in apps.get_app_configs():
        path = Path(config.path)
        if path.parent == ROOT:
            found[config.name.split(".")[0]] = path
    return found


def _modules(app_dir: Path):
    for path in sorted(app_dir.rglob("*.py")):
        parts = path.relative_to(app_dir).parts
        if "migrations" in parts or "tests" in parts or path.name.startswith("test") or path.name == "tests.py":
            continue
        yield path


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def app_import_graph() -> Graph:
    """{(importing app, imported app): ["path:line module", ...]} over every project app."""
    project = project_apps()
    graph: Graph = defaultdict(list)
    for app, app_dir in project.items():
        for path in _modules(app_dir):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                for module in _imported(node):
                    target = module.split(".")[0]
                    if target in project and target != app:
                        graph[(app, target)].append(f"{path.relative_to(ROOT)}:{node.lineno} {module}")
    return dict(graph)


def format_graph(graph: Graph) -> str:
    lines = []
    for (source, target), where in sorted(graph.items()):
        lines.append(f"{source} -> {target}")
        lines.extend(f"    {w}" for w in where)
    return "\n".join(lines)


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    """One cycle of the directed graph as [a, b, ..., a], or None."""
    successors: dict[str, list[str]] = defaultdict(list)
    for source, target in sorted(edges):
        successors[source].append(target)
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for following in successors[node]:
            if state.get(following) == "open":
                return path[path.index(following) :] + [node, following]
            if following not in state:
                cycle = visit(following, [*path, node])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for start in sorted(successors):
        if start not in state:
            cycle = visit(start, [])
            if cycle:
                return cycle
    return None


def test_the_reader_finds_the_imports_between_apps():
    # A guard against a reader that silently finds nothing (and so no cycle either).
    graph = app_import_graph()
    assert ("appointments", "clients") in graph
    assert ("reports", "sessions") in graph
    assert ("clients", "accounts") in graph


def test_a_cycle_is_found_and_named():
    assert find_cycle({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == ["a", "b", "c", "a"]
    assert find_cycle({("a", "b"), ("b", "c"), ("a", "c")}) is None


def test_no_two_apps_import_each_other_and_the_app_graph_has_no_cycle():
    graph = app_import_graph()
    cycle = find_cycle(set(graph))
    if cycle:
        evidence = "\n".join(f"{a} -> {b}: " + "; ".join(graph[(a, b)]) for a, b in pairwise(cycle))
        raise AssertionError(
            f"The apps import each other in a cycle: {' -> '.join(cycle)}\n{evidence}\n\n"
            f"The whole graph:\n{format_graph(graph)}"
        )


def test_the_outbox_imports_no_domain_app():
    graph = app_import_graph()
    wrong = {target: where for (source, target), where in graph.items() if source == "outbox"}
    wrong = {target: where for target, where in wrong.items() if target not in OUTBOX_MAY_IMPORT}
    assert not wrong, f"The outbox may import only {sorted(OUTBOX_MAY_IMPORT)} of the project; it imports: {wrong}"


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflexclinic.settings")
    django.setup()
    print(format_graph(app_import_graph()))

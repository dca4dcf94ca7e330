"""tfart's modules import each other in one direction: no import cycles, lazy imports inside
functions included (export loads generators; generators know nothing of export)."""
import ast
import pathlib

import tfart

PACKAGE = pathlib.Path(tfart.__file__).parent


def module_files():
    """{dotted module name: its file} for every module of tfart."""
    files = {}
    for file in PACKAGE.rglob("*.py"):
        parts = ("tfart", *file.relative_to(PACKAGE).with_suffix("").parts)
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = file
    return files


def imported(file, modules):
    """The tfart modules that `file` imports anywhere in it (top level or inside a function), but
    not the tfart package itself, which imports nearly everything for the notebook's names."""
    names = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:  # tfart has no relative imports
            names.update(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                         for alias in node.names)
    return {name for name in names if name in modules and name != "tfart"}


def test_tfarts_modules_import_each_other_in_one_direction():
    modules = module_files()
    graph = {name: imported(file, modules) for name, file in modules.items()}

    def cycle_from(start):
        """A path start -> ... -> start through the imports, or None."""
        paths, seen = [[start]], set()
        while paths:
            path = paths.pop()
            for name in sorted(graph[path[-1]]):
                if name == start:
                    return path + [name]
                if name not in seen:
                    seen.add(name)
                    paths.append(path + [name])
        return None

    cycles = [" -> ".join(cycle) for cycle in map(cycle_from, sorted(graph)) if cycle]
    assert not cycles, cycles
    assert "tfart.vae" in graph["tfart.commands.train_latent"]  # the graph sees imports inside functions

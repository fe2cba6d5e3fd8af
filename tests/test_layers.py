"""The import direction of DESIGN.md, read from the source with ``ast``.

cli / playground -> workflow -> estimators, data, io, export -> training, solvers -> network,
_kernels -> activations, outputs; and the notes' core never imports scikit-learn, typer, rich,
pyarrow or dask. A module may import modules of its own layer or below, never above.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "shallownet"

#: The layer of each top-level module or sub-package (higher layers import lower ones).
LAYERS = {
    # the notes' building blocks and small pure helpers
    "activations": 0, "outputs": 0, "architecture": 0, "optimizers": 0, "validation": 0,
    "preprocessing": 0, "_safe_json": 0, "_text": 0, "_sparse": 0,
    # the network and its fast kernels
    "network": 1, "_kernels": 1, "_threads": 1, "_fused": 1,
    # training, and the notes' other engines built on the network
    "training": 2, "solvers": 2, "graph": 2, "tensors": 2, "explain": 2, "plotting": 2,
    # what users hold: estimators, data, model files, export
    "estimators": 3, "datasets": 3, "data": 3, "io": 3, "_pipeline_file": 3, "export": 3,
    # the shared workflows
    "workflow": 4, "problems": 4, "demo": 4,
    # front ends
    "cli": 5, "playground": 5,
}
#: The notes' core: numpy/scipy only.
CORE = {"activations", "outputs", "architecture", "optimizers", "validation", "preprocessing",
        "_text", "_sparse", "network", "_kernels", "_threads", "_fused", "training", "solvers"}
HEAVY = {"sklearn", "typer", "rich", "pyarrow", "dask", "distributed", "numba"}
#: (module, dependency): why a core module may import it, inside a function only.
ALLOWED_LAZY = {
    ("training", "rich"): "the optional progress bar of train(progress=True)",
    ("solvers", "dask"): "solvers/dask.py is the Dask back end, imported only on request",
    ("solvers", "distributed"): "solvers/dask.py is the Dask back end",
}
#: (module, dependency): a core module that exists to hold an optional dependency's code and
#: is itself imported only on request (by a function of another module).
ALLOWED_MODULE = {
    ("_fused", "numba"): "the compiled training kernels, loaded by _kernels.fused_kernels()",
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts == ("__init__.py",):
            continue  # the package's front door re-exports names from every layer, lazily
        yield path, rel


def _imports(path: Path, rel: Path):
    """(top-level shallownet module or None, external top-level name or None, lineno, lazy)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ["shallownet", *rel.parts[:-1]]
    lazy_lines = {n.lineno for f in ast.walk(tree)
                  if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                  for n in ast.walk(f) if isinstance(n, ast.Import | ast.ImportFrom)}
    for node in ast.walk(tree):
        lazy = getattr(node, "lineno", None) in lazy_lines
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "shallownet":
                    yield (parts[1] if len(parts) > 1 else None), None, node.lineno, lazy
                else:
                    yield None, parts[0], node.lineno, lazy
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] != "shallownet":
                    yield None, parts[0], node.lineno, lazy
                    continue
                base = parts
            else:
                base = package[:len(package) - node.level + 1] + \
                    (node.module.split(".") if node.module else [])
            if len(base) > 1:
                yield base[1], None, node.lineno, lazy
            else:  # "from . import io, datasets" (modules) or "from .. import __version__"
                for alias in node.names:
                    if _is_module(alias.name):
                        yield alias.name, None, node.lineno, lazy


def _is_module(name: str) -> bool:
    return (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name).is_dir()


def _layer_of(name: str) -> int:
    key = name[:-3] if name.endswith(".py") else name
    if key not in LAYERS:
        pytest.fail(f"shallownet/{name} has no layer: add it to LAYERS in tests/test_layers.py "
                    "(and to DESIGN.md's import direction)")
    return LAYERS[key]


def test_every_module_imports_only_its_own_layer_or_below():
    wrong = []
    for path, rel in _modules():
        own = _layer_of(rel.parts[0])
        for target, _, line, _ in _imports(path, rel):
            if target is None or target == rel.parts[0].removesuffix(".py"):
                continue
            if _layer_of(target) > own:
                wrong.append(f"{rel}:{line} imports {target} (layer {LAYERS[target]} > "
                             f"{own})")
    assert not wrong, "imports that point upward:\n" + "\n".join(wrong)


def test_the_core_never_imports_heavy_dependencies():
    wrong = []
    for path, rel in _modules():
        top = rel.parts[0].removesuffix(".py")
        if top not in CORE:
            continue
        for _, external, line, lazy in _imports(path, rel):
            if external in HEAVY and not (lazy and (top, external) in ALLOWED_LAZY) \
                    and (top, external) not in ALLOWED_MODULE:
                wrong.append(f"{rel}:{line} imports {external}")
    assert not wrong, "the core must stay numpy/scipy only:\n" + "\n".join(wrong)


def test_the_layer_test_sees_upward_imports(tmp_path):
    # the checker itself: an upward import in a synthetic module is found
    bad = tmp_path / "network.py"
    bad.write_text("from .estimators import Classifier\nimport sklearn\n", encoding="utf-8")
    found = list(_imports(bad, Path("network.py")))
    assert (("estimators", None, 1, False) in found) and ((None, "sklearn", 2, False) in found)
    nested = tmp_path / "x.py"
    nested.write_text("def f():\n    from ..workflow import train\n", encoding="utf-8")
    assert list(_imports(nested, Path("cli/x.py"))) == [("workflow", None, 2, True)]


def test_importing_the_core_loads_no_heavy_dependency():
    code = ("import sys, shallownet, shallownet.training, shallownet.validation, "
            "shallownet.preprocessing, shallownet.architecture\n"
            f"print(sorted(m for m in {sorted(HEAVY)!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"

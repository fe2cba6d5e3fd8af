"""Helpers the commands share: loading a model, its features, metrics tables, output paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from .errors import _Fail


def _is_classifier(model) -> bool:
    return hasattr(model, "classes_")


def _load_model(path: Path):
    from .. import io

    if not Path(path).exists():
        raise FileNotFoundError(f"no such model file: {path}")
    return io.load(path)


def _model_features(model) -> tuple[list[str] | None, int | None]:
    names = getattr(model, "feature_names_in_", None)
    n = getattr(model, "n_features_in_", None)
    return (None if names is None else [str(f) for f in names]), (None if n is None else int(n))



def _print_metrics(console: Console, title: str, rows) -> None:
    console.print(f"[bold]{title}[/]", soft_wrap=True)
    table = Table()
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, f"{value:.4f}")
    console.print(table)



def _check_writable(path: Path, what: str) -> None:
    parent = path.resolve().parent
    if not parent.is_dir():
        raise _Fail(f"cannot write {what} {path}: the folder {parent} does not exist")
    if path.is_dir():
        raise _Fail(f"cannot write {what} {path}: it is a directory; give a file name")


def _fmt(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.8g}"
    return str(value)


def _short(value, limit: int = 100) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, list | tuple) and len(value) > 6:
        text = f"[{', '.join(_short(v) for v in value[:3])}, ... ({len(value)} values)]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


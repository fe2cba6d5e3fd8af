"""``train``, ``predict`` and ``evaluate`` on files larger than the memory budget: streamed.

A command streams when ``--stream`` is given or when training the file in memory would need
more than ``--memory-limit`` (default: half the memory available). The model, the messages and
the output are those of the in-memory path; only the way rows reach them differs.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from .._text import count, split_text
from ..data import DataError, is_embedded, open_file
from ..data.dataset import row_index_note
from ..data.stream import (
    FileSource,
    ScoreAccumulator,
    buffer_bytes,
    default_memory_limit,
    in_chunks,
    parse_size,
    should_stream,
)
from .errors import _Fail, visible

StreamOption = Annotated[bool, typer.Option(
    "--stream", help="Read DATA in record batches instead of loading it whole (automatic when "
                     "it would not fit in --memory-limit).")]
MemoryLimitOption = Annotated[str | None, typer.Option(
    "--memory-limit", metavar="SIZE", help="Memory to stay within, e.g. 600M or 4G; larger "
    "files are streamed. Default: half the memory available.")]


def memory_limit(text: str | None) -> int:
    return default_memory_limit() if text is None else parse_size(text)


def wanted(data: str, stream: bool, limit_text: str | None, decimal: str | None) -> bool:
    """Stream ``data``? Never an embedded data set; a file when asked or too large."""
    if is_embedded(data) or not Path(data).suffix and not Path(data).exists():
        if stream and is_embedded(data):
            raise _Fail(f"--stream reads files; {data} is a data set that always fits in memory")
        return False
    limit = memory_limit(limit_text)
    if stream:
        return True
    return should_stream(open_file(data, decimal), limit)


def train(console, *, data, target, task, drop, decimal, limit_text, test_size, scale, seed,
          out, plot, early_stopping, validation_fraction, patience, epochs,
          estimator: dict) -> None:
    """The streamed ``train``: first pass, epochs over the file, metrics on the test rows."""
    from .. import workflow
    from ..validation import draw_seed
    from .common import _check_writable
    from .train import _task_line, report

    limit = memory_limit(limit_text)
    if estimator.get("optimizer") == "lbfgs":  # at once, not after a pass over the file
        raise _Fail(f"--optimizer lbfgs takes the whole training set in memory each iteration "
                    f"and {visible(str(data))} is streamed (--stream, or larger than "
                    "--memory-limit); use --optimizer adam, sgd or momentum, or give "
                    "--memory-limit room for the data")
    seed = draw_seed() if seed is None else seed
    source = FileSource(data, target, task=task, drop=drop, decimal=decimal,
                        standardise=scale, test_fraction=test_size,
                        validation_fraction=validation_fraction if early_stopping else 0.0,
                        seed=seed, memory=buffer_bytes(limit))
    out = Path(out) if out is not None else Path(f"{Path(data).stem}.safetensors")
    _check_writable(out, "the model to")
    if plot is not None:
        _check_writable(Path(plot), "the plot to")
    console.print(f"{visible(source.source)}: streaming record batches (memory limit "
                  f"{limit / 2 ** 20:.0f} MiB); a first pass reads the row count, the "
                  "target's values and the statistics", soft_wrap=True)
    sys.stdout.flush()
    source.prepare()
    if source.note:
        sys.stderr.write(f"note: {visible(source.note)}\n")
    summary = (f"{source.source}: {count(source.n_total, 'sample')}, "
               f"{count(source.n_features, 'feature')}, "
               f"target {source.target_name!r}" + (f" ({source.columns.note})"
                                                   if source.columns.note else ""))
    summary += (f", classification with {count(source.classes.size, 'class', 'classes')}"
                if source.task == "classification" else ", regression")
    summary += row_index_note(source.columns.dropped, source.columns.row_labels)
    console.print(visible(summary), soft_wrap=True)
    console.print(visible(_task_line(source, data)), soft_wrap=True)
    console.print(split_text(source.n_rows, source.n_test, source.n_validation)
                  + (" (inputs standardised)" if scale and source.task == "classification" else
                     " (inputs and target standardised)" if scale else "")
                  + f", streamed; seed {seed} (--seed {seed} repeats this run)", soft_wrap=True)
    sys.stdout.flush()
    result = workflow.train_stream(source, data=str(data), random_state=seed,
                                   catch_interrupt=True, **estimator)
    report(console, result, out, n_test=source.n_test, epochs=epochs, patience=patience,
           plot=plot, title=f"{Path(data).stem}: {source.task}")


def _source_for(model, data, *, target=None, require_target, drop, decimal, model_target=None):
    from .common import _model_features

    names, n = _model_features(model)
    return FileSource(data, target, features=names, n_features=None if names else n,
                      require_target=require_target, drop=drop, decimal=decimal,
                      model_target=model_target, standardise=False)


def predict(model, data, *, proba, out, drop, decimal) -> None:
    """Predictions written block by block; ``--out`` appears only when complete."""
    import csv

    from .app import _console
    from .common import RowLabels, _check_writable, _fmt

    source = _source_for(model, data, require_target=False, drop=drop, decimal=decimal)
    labels = RowLabels.of(data, source.columns.row_labels, decimal)
    tmp = None
    if out is not None:
        _check_writable(Path(out), "predictions to")
        tmp = Path(out).with_name(f".{Path(out).name}.partial")
        f = open(tmp, "w", newline="", encoding="utf-8")
    else:
        f = sys.stdout
    n = 0
    try:
        writer = csv.writer(f, lineterminator="\n")
        for X, _ in source.features_and_labels(check="block"):
            pred = np.asarray(in_chunks(model.predict, X))
            if pred.ndim == 2 and pred.shape[1] == 1:
                pred = pred[:, 0]
            columns = [pred] if pred.ndim == 1 else list(pred.T)
            if n == 0:
                header = (["prediction"] if pred.ndim == 1 else
                          [f"prediction_{j}" for j in range(pred.shape[1])])
                writer.writerow((labels.header if labels else []) + header
                                + ([f"proba_{c}" for c in model.classes_] if proba else []))
            if proba:
                columns += list(np.asarray(in_chunks(model.predict_proba, X)).T)
            if labels is not None:  # each prediction keeps its row's label
                columns = labels.take(X.shape[0]) + columns
            writer.writerows([_fmt(v) for v in row] for row in zip(*columns, strict=True))
            n += X.shape[0]
        if out is not None:
            f.close()
            os.replace(tmp, out)
    except DataError as e:
        if out is None and n:  # found part way: say that standard output holds a part
            raise DataError(f"{e}; found after the predictions of the first "
                            f"{count(n, 'row')} were written") from None
        raise
    finally:
        if labels is not None:
            labels.close()
        if out is not None:
            f.close()
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    if out is not None:
        _console().print(f"{n} predictions written to {visible(out)} (streamed)", soft_wrap=True)
    if source.columns.ignored:
        sys.stderr.write(f"note: ignored columns not used by the model: "
                         f"{visible(', '.join(source.columns.ignored))}\n")


def _model_metadata(model_path) -> dict:
    from .. import io

    try:
        return io.describe(model_path).get("metadata") or {}
    except Exception:
        return {}


def evaluate(model, data, *, target, drop, decimal, model_target, model_path=None,
             all_rows: bool = False) -> None:
    """Metrics accumulated block by block (and the confusion matrix of a classifier)."""
    from ..data.stream import row_roles
    from ..workflow import align_labels, confusion, held_out_roles, trained_on
    from .app import _console
    from .common import _is_classifier, _print_metrics
    from .predict import print_confusion

    source = _source_for(model, data, target=target, require_target=True, drop=drop,
                         decimal=decimal, model_target=model_target)
    classifier = _is_classifier(model)
    acc = ScoreAccumulator(classifier)
    labels = list(model.classes_.tolist()) if classifier else []
    counts: dict[tuple[int, int], int] = {}
    metadata = {} if model_path is None or all_rows else _model_metadata(model_path)
    roles = held_out_roles(metadata, data)
    n_all = 0
    # no block with a missing value reaches the model: the file's own message, not the array's
    for X, col, index in source._blocks(check="block"):
        y = source.raw_labels(col)
        n_all += X.shape[0]
        if roles is not None:  # the rows train held out, as it chose them
            keep = row_roles(index, *roles) == 2
            X, y = X[keep], y[keep]
            if not X.shape[0]:
                continue
        pred = in_chunks(model.predict, X)
        if classifier:
            y = align_labels(y, model.classes_, data=str(data), model="the model",
                             require_overlap=False)
            block_labels, cm = confusion(y, pred, model.classes_)
            where = []  # each of this block's labels in the running list
            for v in block_labels:
                match = [j for j, c in enumerate(labels) if type(c) is type(v) and c == v]
                if not match:
                    labels.append(v)
                where.append(match[0] if match else len(labels) - 1)
            for i, j in zip(*np.nonzero(cm), strict=True):
                key = (where[i], where[j])
                counts[key] = counts.get(key, 0) + int(cm[i, j])
        acc.add(y, pred)
    console = _console()
    if roles is not None:
        console.print(f"scoring the {acc.n} rows of {visible(str(data))} that train held out "
                      f"(the same rows again, by the hash of their index recorded in "
                      f"{visible(str(model_path))}); --all-rows scores all {n_all}",
                      soft_wrap=True)
    elif trained_on(metadata, data):
        sys.stderr.write(f"note: {visible(str(data))} is the file {visible(str(model_path))} was "
                         "trained on: these scores include its training rows (evaluate without "
                         "--stream scores only the rows train held out)\n")
    console.print(visible(f"{source.source}: {count(acc.n, 'sample')}, "
                          f"{count(source.n_features, 'feature')}, "
                          f"{source.what}, streamed"), soft_wrap=True)
    _print_metrics(console, f"{acc.n} samples", acc.rows())
    if classifier:
        cm = np.zeros((len(labels), len(labels)), np.int64)
        for (i, j), n in counts.items():
            cm[i, j] = n
        print_confusion(console, labels, cm, [str(v) for v in labels[len(model.classes_):]])

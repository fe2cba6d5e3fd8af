"""Data for the estimators and the ``shallownet`` command: embedded data sets and user files.

* :func:`load` reads an embedded data set or a whole file into memory as a :class:`Dataset`.
* :class:`FileSource` streams a file that does not fit in memory (see :mod:`.stream`).

Files are read with pyarrow (:mod:`.readers`): CSV/TSV with the dialect detected, Parquet files
and folders of Parquet files. The choice of the target and feature columns, the task and the
labels follow the rules of :mod:`.schema`. The embedded data sets are scikit-learn's
(:mod:`.embedded`).
"""

from __future__ import annotations

from .dataset import Column, Dataset, Table, load, read_table
from .embedded import EMBEDDED, is_embedded
from .readers import CSV_SUFFIXES, PARQUET_SUFFIXES, DataError, open_file
from .schema import MAX_INTEGER_CLASSES, TARGET_NAMES, TASKS, detect_task
from .stream import FileSource, RunningMoments

#: Kept for programs written against earlier versions: reading Parquet needs nothing extra now.
MissingDependencyError = ImportError

__all__ = [
    "Dataset", "DataError", "MissingDependencyError", "load", "read_table", "Table", "Column",
    "EMBEDDED", "TARGET_NAMES", "MAX_INTEGER_CLASSES", "TASKS", "detect_task", "is_embedded",
    "open_file", "CSV_SUFFIXES", "PARQUET_SUFFIXES", "FileSource", "RunningMoments",
]

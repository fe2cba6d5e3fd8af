"""The data sets that ship inside scikit-learn (no network access)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .readers import DataError, columns_list

__all__ = ["EMBEDDED", "is_embedded", "embedded_key", "load_embedded"]

#: The embedded data sets: name -> (scikit-learn loader, task).
EMBEDDED = {
    "digits": ("load_digits", "classification"),
    "iris": ("load_iris", "classification"),
    "wine": ("load_wine", "classification"),
    "breast_cancer": ("load_breast_cancer", "classification"),
    "diabetes": ("load_diabetes", "regression"),
}


def embedded_key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def is_embedded(name) -> bool:
    """True when ``name`` is one of :data:`EMBEDDED` and no file of that name exists."""
    return (isinstance(name, str) and embedded_key(name) in EMBEDDED
            and not Path(name).is_file())


def load_embedded(name: str, dtype=np.float64):
    """(X, y, feature names, task) of an embedded data set; classes by name where named."""
    import sklearn.datasets

    loader, task = EMBEDDED[embedded_key(name)]
    bunch = getattr(sklearn.datasets, loader)()
    X = np.asarray(bunch.data, dtype=dtype)
    names = [str(n) for n in getattr(bunch, "feature_names", [])] or \
        [f"x{j}" for j in range(X.shape[1])]
    y = np.asarray(bunch.target)
    target_names = getattr(bunch, "target_names", None)
    if task == "classification":
        if target_names is not None and np.asarray(target_names).dtype.kind in "USO":
            y = np.asarray(target_names, dtype=object)[y]  # class names, e.g. "setosa"
        else:
            y = y.astype(np.int64)
    else:
        y = y.astype(np.float64)
    return X, y, names, task


def select_features(name, X, names, drop, features, n_features):
    """Leave out ``drop``, then take a model's ``features`` by name: (X, names, ignored)."""
    ignored = []
    if drop:
        unknown = [d for d in drop if d not in names]
        if unknown:
            raise DataError(f"the {name} data set has no feature {columns_list(unknown)} to "
                            f"drop; its features are {columns_list(names, 10)}")
        needed = [d for d in drop if features is not None and d in features]
        if needed:
            raise DataError(f"the model uses {columns_list(needed)} as features; do not drop "
                            f"{'it' if len(needed) == 1 else 'them'}")
        keep = [j for j, n in enumerate(names) if n not in drop]
        X, names = X[:, keep], [names[j] for j in keep]
    if features is not None and list(features) != names:
        if not set(features) <= set(names):
            raise DataError(
                f"the {name} data set's features ({columns_list(names, 5)}) are not the model's "
                f"({columns_list(features, 5)}); was the model trained on {name}?")
        index = {n: j for j, n in enumerate(names)}  # a model trained with some columns dropped
        ignored = [n for n in names if n not in features]
        X, names = X[:, [index[f] for f in features]], list(features)
    if n_features is not None and features is None and n_features != len(names):
        raise DataError(f"the {name} data set has {len(names)} features but the model expects "
                        f"{n_features} (N_i = {n_features})")
    return X, names, ignored

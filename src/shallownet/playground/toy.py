"""The playground's data sets: small 2-D classification problems and a 1-D regression curve.

Each set is drawn from a seed, so a link that names the set, its size, noise and seed draws the
same points again. Blobs, circles and moons come from scikit-learn's generators, iris from its
bundled copy (two chosen features, standardised); XOR, the spiral and the curve are drawn here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DATASETS", "IRIS_FEATURES", "ToyData", "make"]

#: name -> (task, what it is)
DATASETS = {
    "blobs": ("binary", "two Gaussian blobs"),
    "xor": ("binary", "XOR: the sign of x_1 x_2"),
    "circles": ("binary", "a circle inside a ring"),
    "moons": ("binary", "two interleaving half-moons"),
    "spiral": ("binary", "two interleaving spirals"),
    "iris": ("multiclass", "iris, two of its four features (standardised), three classes"),
    "curve": ("regression", "a 1-D regression curve, y = sin(2x) + x/2"),
}
IRIS_FEATURES = ("sepal length", "sepal width", "petal length", "petal width")


@dataclass
class ToyData:
    """Points ``X`` (N, N_i), targets ``y`` and the output type they need."""

    X: np.ndarray
    y: np.ndarray
    output: str
    feature_names: list[str]

    @property
    def N_o(self) -> int:
        return int(self.y.max()) + 1 if self.output == "multiclass" else 1


def make(name: str, n: int = 200, noise: float = 0.1, seed: int = 0,
         features: tuple[int, int] = (2, 3)) -> ToyData:
    """Draw data set ``name`` (a key of :data:`DATASETS`) with ``n`` points.

    ``noise`` is the standard deviation of Gaussian noise added to the inputs (to the target
    for the curve); ``features`` picks iris's two columns (0-3), whose 150 samples ignore ``n``.
    """
    from sklearn import datasets

    rng = np.random.default_rng(seed)
    names = ["x_1", "x_2"]
    if name == "blobs":
        X, y = datasets.make_blobs(n, centers=[[-1, -1], [1, 1]], cluster_std=0.5 + noise,
                                   random_state=seed)
    elif name == "xor":
        X = rng.uniform(-1, 1, (n, 2))
        X += 0.1 * np.sign(X)  # a margin around the axes, where the label flips
        y = (X[:, 0] * X[:, 1] > 0).astype(int)
        X += noise * rng.standard_normal(X.shape)
    elif name == "circles":
        X, y = datasets.make_circles(n, noise=noise, factor=0.5, random_state=seed)
        X *= 1.5
    elif name == "moons":
        X, y = datasets.make_moons(n, noise=noise, random_state=seed)
        X = (X - [0.5, 0.25]) * 1.2
    elif name == "spiral":
        y = np.arange(n) % 2
        t = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi
        angle = t + np.pi * y
        X = np.c_[np.cos(angle), np.sin(angle)] * (t / (3 * np.pi))[:, None] * 1.8
        X += noise * 0.5 * rng.standard_normal(X.shape)
    elif name == "iris":
        from sklearn.preprocessing import scale

        iris = datasets.load_iris()
        cols = list(features)
        X, y = scale(iris.data[:, cols]), iris.target
        names = [IRIS_FEATURES[c] for c in cols]
    elif name == "curve":
        X = np.sort(rng.uniform(-3, 3, (n, 1)), axis=0)
        y = np.sin(2 * X[:, 0]) + X[:, 0] / 2 + noise * rng.standard_normal(n)
        names = ["x"]
    else:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}")
    return ToyData(np.asarray(X, float), np.asarray(y), DATASETS[name][0], names)

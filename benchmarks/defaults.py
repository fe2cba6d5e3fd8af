"""Do the default hyper-parameters generalise? shallownet against scikit-learn's MLP, both default.

For every embedded data set (iris, wine, breast_cancer, digits, diabetes) and a few synthetic
ones (make_classification, make_moons, make_friedman1, make_regression), unscaled and with the
inputs standardised (StandardScaler in a Pipeline), and for each of 5 seeds: hold out 25% of
the rows (stratified for classes), fit a default-constructed ``shallownet.Classifier`` /
``Regressor`` and scikit-learn's ``MLPClassifier`` / ``MLPRegressor`` (only ``random_state`` set),
and score the held-out rows (accuracy, or R^2). The table gives the mean and the spread
(standard deviation) over the seeds, and the median fit time; every number comes from this run.

    python benchmarks/defaults.py                # prints the table
    python benchmarks/defaults.py --write        # and rewrites the table in docs/defaults.md
    python benchmarks/defaults.py --seeds 2 --only iris,moons   # a quick look
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

SEEDS = 5
DOC = Path(__file__).resolve().parents[1] / "docs" / "defaults.md"
BEGIN, END = "<!-- table: benchmarks/defaults.py -->", "<!-- end of table -->"


def data_sets():
    """name -> (X, y, task), built once with fixed seeds."""
    from sklearn import datasets as skd

    out = {}
    for name in ("iris", "wine", "breast_cancer", "digits"):
        X, y = getattr(skd, f"load_{name}")(return_X_y=True)
        out[name] = (X, y, "classification")
    X, y = skd.load_diabetes(return_X_y=True)
    out["diabetes"] = (X, y, "regression")
    X, y = skd.make_classification(n_samples=600, n_features=20, n_informative=6,
                                   n_classes=3, random_state=0)
    out["make_classification"] = (X, y, "classification")
    X, y = skd.make_moons(n_samples=600, noise=0.3, random_state=0)
    out["moons"] = (X, y, "classification")
    X, y = skd.make_friedman1(n_samples=600, noise=1.0, random_state=0)
    out["friedman1"] = (X, y, "regression")
    X, y = skd.make_regression(n_samples=600, n_features=10, n_informative=5, noise=10.0,
                               random_state=0)
    out["make_regression"] = (X, y, "regression")
    return out


def models(task: str, seed: int):
    """(shallownet default, scikit-learn default), each given only the seed."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    import shallownet as sn

    if task == "classification":
        return sn.Classifier(random_state=seed), MLPClassifier(random_state=seed)
    return sn.Regressor(random_state=seed), MLPRegressor(random_state=seed)


def run_one(X, y, task, seed, scaled):
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=seed,
        stratify=y if task == "classification" else None)
    scores, times = [], []
    for model in models(task, seed):
        est = make_pipeline(StandardScaler(), clone(model)) if scaled else clone(model)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLP's ConvergenceWarning at max_iter=200
            est.fit(X_tr, y_tr)
        times.append(time.perf_counter() - start)
        scores.append(float(est.score(X_te, y_te)))
    return scores, times


def table(results) -> str:
    lines = ["| data set | inputs | metric | shallownet | scikit-learn MLP | difference | "
             "fit s (ours / theirs) |",
             "|---|---|---|---:|---:|---:|---:|"]
    for (name, scaled, task), runs in results.items():
        ours = [r[0][0] for r in runs]
        theirs = [r[0][1] for r in runs]
        t_ours = statistics.median(r[1][0] for r in runs)
        t_theirs = statistics.median(r[1][1] for r in runs)
        diff = statistics.mean(o - t for o, t in zip(ours, theirs, strict=True))

        def fmt(v):
            return f"{statistics.mean(v):.3f} ± {statistics.pstdev(v):.3f}"

        lines.append(f"| {name} | {'standardised' if scaled else 'raw'} | "
                     f"{'accuracy' if task == 'classification' else 'R^2'} | {fmt(ours)} | "
                     f"{fmt(theirs)} | {diff:+.3f} | {t_ours:.2f} / {t_theirs:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--only", default="", help="comma-separated data set names")
    parser.add_argument("--write", action="store_true", help="rewrite docs/defaults.md's table")
    args = parser.parse_args(argv)
    only = {s for s in args.only.split(",") if s}
    results = {}
    for name, (X, y, task) in data_sets().items():
        if only and name not in only:
            continue
        for scaled in (False, True):
            runs = [run_one(X, y, task, seed, scaled) for seed in range(args.seeds)]
            results[(name, scaled, task)] = runs
            print(table({(name, scaled, task): runs}).splitlines()[-1], flush=True)
    text = table(results)
    print()
    print(text)
    if args.write:
        doc = DOC.read_text(encoding="utf-8")
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        DOC.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")
        print(f"\nwritten to {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

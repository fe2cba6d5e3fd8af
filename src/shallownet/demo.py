"""`make demo`: train on the embedded digits data, report held-out accuracy, print Table 1.

Run with ``python -m shallownet.demo``.
"""

from __future__ import annotations

import time

import numpy as np
from rich.console import Console
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from . import Network, score, train
from .explain import print_trace


def main() -> None:
    console = Console()
    console.rule("[bold]shallownet demo: the digits data shipped with scikit-learn")
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixel intensities 0..16 -> 0..1
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    net = Network.init(N_i=64, N_h=100, N_o=10, activation="relu", output="multiclass",
                       seed=0)
    console.print(f"{net}: {len(X_train)} training and {len(X_test)} held-out images of 8x8 "
                  "pixels, 10 classes; softmax output (5), cross-entropy (18), Adam")
    t0 = time.perf_counter()
    history = train(net, X_train, y_train, epochs=40, batch_size=32, optimizer="adam",
                    learning_rate=0.002, seed=0, validation_data=(X_test, y_test),
                    progress=True)
    seconds = time.perf_counter() - t0
    accuracy = score(net, X_test, y_test)
    console.print(f"trained {history.epochs} epochs in {seconds:.2f} s; final training loss "
                  f"{history.loss[-1]:.4f}")
    console.print(f"[bold green]held-out accuracy: {accuracy:.4f}[/]")

    console.rule("[bold]Table 1 of the notes, as shallownet computes it (section 1, Problem 2)")
    problem2 = Network(W_H=[[1], [1]], b_H=[-2, -4], W_O=[1, -2], b_O=-0.5,
                       activation="threshold", output="binary")
    x = np.array([0, 1, 3, 5, 3.5])
    print_trace(problem2, x, y=[0, 0, 1, 0, None], console=console,
                names=["train", "train", "train", "train", "test"])
    console.print("The last column is the test point x = 3.5 (no label). The notes print "
                  "z_2^H = 0.5 there; it is 3.5 - 4 = -0.5 (see docs/errata.md).")
    console.print("\nEvery worked problem, solved with figures: [bold]shallownet problems "
                  "--out solutions[/]  (or .venv/bin/shallownet problems)")


if __name__ == "__main__":
    main()

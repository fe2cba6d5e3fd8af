"""The worked problems solved by the library, and the solutions document."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from shallownet import problems
from shallownet.problems import (
    binary_output,
    hidden_layer,
    problem4,
    section3_problem2_gradients,
    softmax_output,
    write_solutions,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def solutions(tmp_path_factory):
    out = tmp_path_factory.mktemp("solutions")
    path = write_solutions(out)
    return path, path.read_text()


def _table_rows(md: str) -> dict[str, list[str]]:
    rows = {}
    for line in md.splitlines():
        if line.startswith("| $"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_document_is_written(solutions):
    path, md = solutions
    assert path.name == "solutions.md" and path.is_file()
    for heading in ("### Problem 1", "### Problem 2", "### Problem 3", "### Problem 4",
                    "### Problem 5", "## Section 2", "## Section 3"):
        assert heading in md


def test_table1_numbers_in_document(solutions):
    _, md = solutions
    rows = _table_rows(md)
    # the notes' printed Table 1 (test column of z_{i2}^H corrected: 3.5 - 4 = -0.5)
    expected = {
        "z_{i1}": ["-2", "-1", "1", "3", "1.5"],
        "z_{i2}": ["-4", "-3", "-1", "1", "-0.5"],
        "u_{i1}": ["0", "0", "1", "1", "1"],
        "u_{i2}": ["0", "0", "0", "1", "0"],
        "z_{i}^{O}": ["-0.5", "-0.5", "0.5", "-1.5", "0.5"],
        "\\hat{y}": ["0", "0", "1", "0", "1"],
        "y_i": ["0", "0", "1", "0", ""],
    }
    for prefix, values in expected.items():
        hits = [v for k, v in rows.items() if k.startswith("$" + prefix)]
        assert hits == [values], prefix
    # the corrected labels
    assert "$z_{i2}^{H} = x_i - 4$" in rows
    assert "$z_{i}^{O} = u_{i1}^{H} - 2u_{i2}^{H} - 0.5$" in rows


def test_piecewise_and_region_descriptions_in_document(solutions):
    _, md = solutions
    assert "z_O = 0.5 for x < 1; -0.5 for x in [1, 3); 1.5 for x >= 3" in md
    assert "y_hat = 0 for x in [1, 3), 1 otherwise" in md
    assert "y_hat = 1 for x in [2, 4), 0 otherwise" in md
    assert "y_hat = 1 where x_1 >= 0, x_2 >= 0, x_1 + x_2 < 1; 0 elsewhere" in md
    assert "predicts **y_hat = 1**" in md            # Problem 2(c), x = 3.5
    assert "reproduces the training labels: yes" in md


def test_problem4_in_document(solutions):
    _, md = solutions
    assert re.search(r"N_i = 400, N_o = 26, g_out = softmax", md)
    assert re.search(r"N_i = 120, N_o = 1, g_out = sigmoid", md)
    assert re.search(r"N_i = 5, N_o = 1, g_out = identity", md)
    assert md.count("Free to choose: N_h, g_act") == 3


def test_figures_are_valid_pngs(solutions):
    path, md = solutions
    for name in ("problem1_units.png", "problem2_units.png", "problem3_regions.png"):
        f = path.parent / name
        assert f.read_bytes()[:8] == PNG_MAGIC, name
        assert f"]({name})" in md
    for name in ("figure1", "figure2"):
        dot = (path.parent / f"{name}.dot").read_text()
        assert dot.startswith("digraph") and "palegreen" in dot and "lightblue" in dot
        assert (path.parent / f"{name}.png").read_bytes()[:8] == PNG_MAGIC  # always drawn
        assert f"]({name}.png)" in md


def test_no_placeholder_text(solutions):
    _, md = solutions
    prose = re.sub(r"```.*?```|`[^`]*`", "", md, flags=re.S)   # leave quoted code out
    for word in ("TODO", "TBD", "FIXME", "XXX", "Missing", "placeholder", "lorem", "nan",
                 "None", "inf"):
        assert not re.search(rf"\b{word}\b", prose), word
    assert "NO (" not in md


def test_every_figure_appears_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)  # a fresh machine: no dot
    md = write_solutions(tmp_path).read_text()
    for name in ("figure1", "figure2"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
        assert f"![Figure {name[-1]}" in md
        assert (tmp_path / f"{name}.dot").read_text().startswith("digraph")
        assert not (tmp_path / f"{name}.svg").exists()
    assert "was not found" not in md


def test_write_solutions_rejects_a_file(tmp_path):
    f = tmp_path / "x"
    f.write_text("")
    with pytest.raises(ValueError, match="folder"):
        write_solutions(f)


def test_problem2_network_solves_the_data_set():
    net = problems.problem2()
    assert net.predict(list(problems.PROBLEM2_X)).tolist() == list(problems.PROBLEM2_Y)
    assert int(net.predict(problems.PROBLEM2_TEST_X)) == 1


def test_problem4_architectures():
    a, b, c = (case.architecture for case in problem4())
    assert (a.N_i, a.N_o, a.output) == (400, 26, "multiclass")
    assert (b.N_i, b.N_o, b.output) == (120, 1, "binary")
    assert (c.N_i, c.N_o, c.output) == (5, 1, "regression")
    for arch in (a, b, c):
        assert set(arch.free) == {"N_h", "g_act"}
        assert set(arch.fixed) == {"N_i", "N_o", "g_out"}


def test_problem5_code_against_the_equations():
    rng = np.random.default_rng(0)
    N, N_i, N_h, K = 7, 3, 4, 5
    X = rng.standard_normal((N, N_i))
    W_H, b_H = rng.standard_normal((N_h, N_i)), rng.standard_normal(N_h)
    W_O, b_O = rng.standard_normal((K, N_h)), rng.standard_normal(K)
    Z_H, U_H = hidden_layer(X, W_H, b_H)
    # (9a) component by component
    for i in range(N):
        for j in range(N_h):
            z = sum(W_H[j, k] * X[i, k] for k in range(N_i)) + b_H[j]
            assert Z_H[i, j] == pytest.approx(z)
            assert U_H[i, j] == pytest.approx(1 / (1 + np.exp(-z)))
    w, b0 = rng.standard_normal(N_h), 0.25
    z_O, u_O = binary_output(U_H, w, b0)
    np.testing.assert_allclose(u_O, 1 / (1 + np.exp(-(U_H @ w + b0))))
    Z_O, U_O = softmax_output(U_H, W_O, b_O)
    for i in range(N):
        e = np.exp(Z_O[i])
        np.testing.assert_allclose(U_O[i], e / e.sum())    # (5), row by row
    _, big = softmax_output(np.ones((2, 1)), np.array([[1000.0], [0.0], [-1000.0]]),
                            np.zeros(3))
    np.testing.assert_allclose(big, [[1, 0, 0], [1, 0, 0]])


def test_section3_problem2_closed_form_against_finite_differences():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((5, 2)), rng.standard_normal(5)
    W, b, alpha = 0.5 * rng.standard_normal((3, 2)), rng.standard_normal(3), \
        rng.standard_normal(3)

    def L(W, b, alpha):
        return float(np.sum((y - np.exp(X @ W.T + b) @ alpha) ** 2))

    g = section3_problem2_gradients(X, y, W, b, alpha)
    params = {"W": W, "b": b, "alpha": alpha}
    h = 1e-6
    for name, P in params.items():
        for idx in np.ndindex(P.shape):
            P[idx] += h
            up = L(**params)
            P[idx] -= 2 * h
            down = L(**params)
            P[idx] += h
            assert g[name][idx] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8)


def test_problem2_weights_written_as_the_notes_write_them(solutions):
    """Solution 2(a) of the notes: W^H = [1; 1] and b^H = [-2; -4] are columns (one entry per
    hidden unit), W^O = [1, -2] a row. The document must not write W^H like the row W^O."""
    _, md = solutions
    part_a = md.split("### Problem 2", 1)[1].split("(b)", 1)[0]
    assert "W_H = [1; 1], b_H = [-2; -4]" in part_a
    assert "W_O = [1, -2], b_O = -0.5" in part_a
    assert "W_H = [1, 1]" not in part_a
    # the text is the network that was solved: a column W_H is (N_h, N_i) = (2, 1)
    net = problems.problem2()
    assert net.W_H.shape == (2, 1) and net.W_O.shape == (1, 2)

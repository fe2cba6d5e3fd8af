"""Section 1 of the notes, Problems 1, 2, 3 and 5: every printed number, reproduced.

The expected values are typed in from the notes' solutions (with the one misprint in Table 1
corrected; see docs/errata.md), never computed by shallownet.
"""

import numpy as np
import pytest

import shallownet as sn


def problem1():
    return sn.Network(W_H=[[1], [1]], b_H=[-1, -3], W_O=[-1, 2], b_O=0.5,
                      activation="threshold", output="binary")


def problem2():
    return sn.Network(W_H=[[1], [1]], b_H=[-2, -4], W_O=[1, -2], b_O=-0.5,
                      activation="threshold", output="binary")


def problem3():
    return sn.Network(W_H=[[1, 0], [0, 1], [1, 1]], b_H=[0, 0, -1], W_O=[1, 1, -1], b_O=-1.5,
                      activation="threshold", output="binary")


# ---------------------------------------------------------------- Problem 1
def test_problem1_dimensions():
    net = problem1()
    assert (net.N_i, net.N_h, net.N_o) == (1, 2, 1)  # (a): N_h = 2, N_o = 1


@pytest.mark.parametrize("x", [-2.0, 0.0, 0.999, 1.0, 2.0, 2.999, 3.0, 7.5])
def test_problem1_units_and_output(x):
    t = problem1().forward(x)
    # (b) z_H = [x - 1, x - 3]
    np.testing.assert_allclose(t.z_H, [x - 1, x - 3])
    # (c) u_H = [1{x >= 1}, 1{x >= 3}]
    np.testing.assert_array_equal(t.u_H, [float(x >= 1), float(x >= 3)])
    # (d) z_O = 0.5 for x < 1, -0.5 for x in [1, 3), 1.5 for x >= 3
    expected_z = 0.5 if x < 1 else (-0.5 if x < 3 else 1.5)
    np.testing.assert_allclose(t.z_O, [expected_z])
    # (e) y_hat = 0 if x in [1, 3), 1 else
    assert t.y_hat == (0 if 1 <= x < 3 else 1)


# ---------------------------------------------------------------- Problem 2 / Table 1
X_TABLE1 = [0, 1, 3, 5, 3.5]  # four training points and the test point


def test_table1_every_entry():
    t = problem2().forward(X_TABLE1)
    # Table 1, column by column (x = 0, 1, 3, 5 | 3.5).
    np.testing.assert_array_equal(t.z_H[:, 0], [-2, -1, 1, 3, 1.5])
    # The notes print 0.5 for x = 3.5; z_2^H = x - 4 = -0.5 (erratum, docs/errata.md).
    np.testing.assert_array_equal(t.z_H[:, 1], [-4, -3, -1, 1, -0.5])
    np.testing.assert_array_equal(t.u_H[:, 0], [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(t.u_H[:, 1], [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(t.z_O[:, 0], [-0.5, -0.5, 0.5, -1.5, 0.5])
    np.testing.assert_array_equal(t.y_hat, [0, 0, 1, 0, 1])


def test_problem2_fits_the_data_and_predicts_test_point():
    net = problem2()
    np.testing.assert_array_equal(net.predict([0, 1, 3, 5]), [0, 0, 1, 0])  # (b)
    assert net.predict(3.5) == 1  # (c)


@pytest.mark.parametrize("x, y_hat", [(1.99, 0), (2.0, 1), (3.99, 1), (4.0, 0), (-10, 0), (10, 0)])
def test_problem2_yhat_is_indicator_of_2_4(x, y_hat):
    # y_hat = 1 if x in [2, 4), 0 else
    assert problem2().predict(x) == y_hat


# ---------------------------------------------------------------- Problem 3
INSIDE = [(0.2, 0.2), (0.0, 0.0), (0.0, 0.5), (0.5, 0.0), (0.49, 0.5), (0.0, 0.999)]
ON_OPEN_EDGE = [(0.5, 0.5), (1.0, 0.0), (0.0, 1.0), (0.25, 0.75)]  # x1 + x2 = 1: excluded
OUTSIDE = [(-0.01, 0.2), (0.2, -0.01), (0.6, 0.6), (-1, -1), (2, -0.5), (-0.5, 2), (3, 3)]


def test_problem3_hidden_units():
    t = problem3().forward(np.array([[0.3, -0.2], [-1.0, 2.0], [0.5, 0.5]]))
    # (a) z_H = [x1, x2, x1 + x2 - 1]; u_H = [1{x1 >= 0}, 1{x2 >= 0}, 1{x1 + x2 >= 1}]
    np.testing.assert_allclose(t.z_H, [[0.3, -0.2, -0.9], [-1, 2, 0], [0.5, 0.5, 0]])
    np.testing.assert_array_equal(t.u_H, [[1, 0, 0], [0, 1, 1], [1, 1, 1]])


@pytest.mark.parametrize("point", INSIDE)
def test_problem3_inside_triangle(point):
    t = problem3().forward(point)
    assert t.z_O[0] == 0.5  # (1) + (1) - (0) - 1.5
    assert t.y_hat == 1


@pytest.mark.parametrize("point", ON_OPEN_EDGE + OUTSIDE)
def test_problem3_outside_or_on_open_edge(point):
    t = problem3().forward(point)
    assert t.z_O[0] < 0
    assert t.y_hat == 0


# ---------------------------------------------------------------- Problem 5
@pytest.mark.parametrize("activation", ["threshold", "sigmoid", "relu"])
@pytest.mark.parametrize("output, N_o", [("binary", 1), ("multiclass", 4), ("regression", 3)])
def test_batch_form_equals_single_sample_form(activation, output, N_o):
    """(10a)/(10b) on a batch equals (1a)/(1b) applied sample by sample."""
    rng = np.random.default_rng(5)
    N_i, N_h, N = 3, 6, 9
    W_H, b_H = rng.normal(size=(N_h, N_i)), rng.normal(size=N_h)
    W_O, b_O = rng.normal(size=(N_o, N_h)), rng.normal(size=N_o)
    net = sn.Network(W_H, b_H, W_O, b_O, activation=activation, output=output)
    X = rng.normal(size=(N, N_i))
    batch = net.forward(X)
    g_act = {"threshold": lambda z: 1.0 if z >= 0 else 0.0,
             "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
             "relu": lambda z: max(0.0, z)}[activation]
    for i in range(N):
        # (1a) and (1b) written out with explicit sums over k
        z_H = [sum(W_H[j, k] * X[i, k] for k in range(N_i)) + b_H[j] for j in range(N_h)]
        u_H = [g_act(z) for z in z_H]
        z_O = [sum(W_O[j, k] * u_H[k] for k in range(N_h)) + b_O[j] for j in range(N_o)]
        np.testing.assert_allclose(batch.z_H[i], z_H, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(batch.u_H[i], u_H, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(batch.z_O[i], z_O, rtol=1e-12, atol=1e-12)
        single = net.forward(X[i])
        np.testing.assert_allclose(single.z_O, batch.z_O[i], rtol=1e-12)
        if output == "binary":  # (3)
            np.testing.assert_allclose(batch.u_O[i], [1 / (1 + np.exp(-z_O[0]))], rtol=1e-12)
            assert batch.y_hat[i] == (1 if z_O[0] >= 0 else 0)  # (4)
        elif output == "multiclass":  # (5), (6)
            e = np.exp(z_O)
            np.testing.assert_allclose(batch.u_O[i], e / e.sum(), rtol=1e-12)
            assert batch.y_hat[i] == int(np.argmax(z_O))
        else:  # (7)
            np.testing.assert_allclose(batch.y_hat[i], z_O, rtol=1e-12)


def test_the_librarys_problem_networks_are_the_notes():
    from shallownet import problems

    for mine, theirs in ((problem1(), problems.problem1()), (problem2(), problems.problem2()),
                         (problem3(), problems.problem3())):
        for k in mine.params:
            np.testing.assert_array_equal(theirs.params[k], mine.params[k])
        assert theirs.activation.name == "threshold" and theirs.output.name == "binary"

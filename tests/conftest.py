"""Shared test set-up."""

import signal

import pytest


@pytest.fixture(autouse=True)
def _ctrl_c_behaves_as_in_a_terminal():
    """Tests that press Ctrl-C need Python's default SIGINT handler.

    A test run started in the background (``cmd &`` in a script, as some CI runners do)
    inherits an *ignored* SIGINT, which would make those tests meaningless; restore the default
    for each test, and what was there afterwards.
    """
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def pytest_collection_modifyitems(config, items):
    """Deselect scikit-learn's array-API check.

    ``check_array_api_input`` runs only when the environment sets ``SCIPY_ARRAY_API=1`` and
    array-api-strict is installed, and otherwise reports a skip that reads like a broken set-up.
    shallownet computes with numpy (and its own BLAS-backed kernels) and converts any array-API
    input to numpy in ``fit``/``predict``; it does not dispatch to other array libraries, so
    the check has nothing to test here. Every other scikit-learn check runs.
    """
    keep, drop = [], []
    for item in items:
        (drop if "check_array_api_input" in item.name else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep

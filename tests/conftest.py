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

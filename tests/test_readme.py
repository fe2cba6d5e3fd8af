"""The README's Python examples run as written, and say what they print."""

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index):
    out = io.StringIO()
    if "LocalCluster(" in BLOCKS[index]:  # copied into a script, it must guard its workers
        assert 'if __name__ == "__main__":' in BLOCKS[index]
    with contextlib.redirect_stdout(out):  # run as the script it would be copied into
        exec(compile(BLOCKS[index], f"README block {index}", "exec"), {"__name__": "__main__"})
    if "describe_piecewise" in BLOCKS[index]:
        text = out.getvalue()
        assert "[0 0 1 0 1]" in text  # the comment's claim about y_hat
        assert "y_hat = 1 for x in [2, 4), 0 otherwise" in text
        assert "| z_i2^H = x_i - 4 | -4 | -3 | -1 | 1 | -0.5 |" in text

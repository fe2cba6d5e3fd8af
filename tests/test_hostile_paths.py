"""Output paths and signals made to break the promises: only a regular file is ever replaced,
checked before training; interrupted saves leave the old file or the new one, never a half;
Ctrl-C at any moment is one line and exit status 130.

Devices and FIFOs are made inside temporary folders (``os.mknod`` as root), never real ones.
"""

from __future__ import annotations

import fcntl
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest
from typer.testing import CliRunner

import shallownet
from hostile_corpus import refused
from shallownet import Network
from shallownet.cli import app
from shallownet.io import check_destination, load, save

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _device(tmp_path):
    path = tmp_path / "null"
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null, in tmp
    return path


# ---------------------------------------------------------------------------- --out, --plot
@pytest.mark.skipif(not ROOT, reason="os.mknod of a device needs root")
@pytest.mark.parametrize("option", ["--out", "--plot"])
def test_a_device_is_never_replaced(tmp_path, option):
    dev = _device(tmp_path)
    dev = dev.rename(tmp_path / ("null.png" if option == "--plot" else "null.safetensors"))
    args = ["train", "iris", "--epochs", 2, option, dev]
    refused(run(*args), str(dev), "a device", "only a regular file")
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    with pytest.raises(ValueError, match="a device"):
        save(Network.init(2, 2), dev)
    assert stat.S_ISCHR(os.lstat(dev).st_mode)


def test_a_fifo_a_symlink_and_a_directory_are_refused(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    target = tmp_path / "target.safetensors"
    target.write_bytes(b"keep")
    os.symlink(target, tmp_path / "link.safetensors")
    (tmp_path / "dir").mkdir()
    for name, words in (("fifo", "named pipe"), ("link.safetensors", "symbolic link"),
                        ("dir", "is a directory")):
        refused(run("train", "iris", "--epochs", 2, "--out", tmp_path / name), words)
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode)
    assert os.path.islink(tmp_path / "link.safetensors") and target.read_bytes() == b"keep"


def test_a_trailing_slash_names_a_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("train", "iris", "--epochs", 2, "--out", "newdir/")
    assert r.exit_code == 2 and "names a directory" in r.stderr and "training on" not in r.output
    assert not (tmp_path / "newdir").exists()
    with pytest.raises(ValueError, match="names a directory"):
        save(Network.init(2, 2), "newdir/")
    assert not (tmp_path / "newdir").exists()


def test_out_equal_to_the_data_or_the_plot(tmp_path):
    csv = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    rows = ["a,b,label"] + [f"{x:.3f},{y:.3f},{int(x > y)}" for x, y in rng.normal(size=(40, 2))]
    csv.write_text("\n".join(rows) + "\n")
    before = csv.read_bytes()
    refused(run("train", csv, "--epochs", 2, "--out", csv), "also DATA")
    os.link(csv, tmp_path / "hard.csv")  # the same file under another name
    refused(run("train", csv, "--epochs", 2, "--out", tmp_path / "hard.csv"), "also DATA")
    same = tmp_path / "same.png"
    refused(run("train", csv, "--epochs", 2, "--out", same, "--plot", same), "also the model")
    assert csv.read_bytes() == before and not same.exists()


def test_predict_out_equal_to_the_data_or_the_model(tmp_path):
    model = tmp_path / "m.safetensors"
    assert run("train", "iris", "--epochs", 2, "-q", "--out", model).exit_code == 0
    csv = tmp_path / "x.csv"
    csv.write_text("a,b,c,d\n1,2,3,4\n")
    before = model.read_bytes()
    refused(run("predict", model, csv, "--out", csv), "also DATA")
    refused(run("predict", model, csv, "--out", model), "also MODEL")
    assert model.read_bytes() == before and csv.read_text() == "a,b,c,d\n1,2,3,4\n"


def test_an_unwritable_folder_is_found_before_training(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    if ROOT:  # root writes anywhere: make creating a file there fail as it would for others
        real = tempfile.mkstemp

        def mkstemp(*args, dir=None, **kwargs):
            if dir is not None and os.path.samefile(dir, folder):
                raise PermissionError(13, "Permission denied")
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    else:
        folder.chmod(0o555)
    line = refused(run("train", "iris", "--epochs", 2, "--out", folder / "m.safetensors"),
                   str(folder / "m.safetensors"), "not writable")
    assert ".tmp" not in line


def test_a_failing_save_names_the_users_path_not_the_temporary_file(tmp_path, monkeypatch):
    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    path = tmp_path / "m.safetensors"
    result = run("train", "iris", "--epochs", 2, "-q", "--out", path)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "No space left on device" in line and str(path) in line and ".tmp" not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_read_only_file_is_not_replaced(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")
    path.chmod(0o444)
    if ROOT:
        pytest.skip("root may write to read-only files; os.access says so")
    with pytest.raises(ValueError, match="read-only"):
        check_destination(path)


# ---------------------------------------------------------------------------- leftovers
def _leftover(folder, name, age=60.0, size=1000):
    path = folder / f".{name}.killed.tmp"
    path.write_bytes(b"x" * size)
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def test_leftovers_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    old = _leftover(tmp_path, "m.safetensors")
    other = _leftover(tmp_path, "other.safetensors")  # another file's: not ours to remove
    busy = _leftover(tmp_path, "m.safetensors", age=0.0)
    busy = busy.rename(tmp_path / ".m.safetensors.busy.tmp")
    with open(busy, "rb") as held:  # a save running now holds its temporary file locked
        fcntl.flock(held, fcntl.LOCK_EX)
        save(Network.init(2, 2, seed=0), tmp_path / "m.safetensors")
    assert not old.exists() and other.exists() and busy.exists()
    assert type(load(tmp_path / "m.safetensors")) is Network


@pytest.mark.slow
def test_sigkill_during_saves_leaves_nothing_behind_after_the_next_save(tmp_path):
    """Kill -9 a process in the middle of 32 MB saves, then save once more: no leftovers, and
    the destination always loads."""
    script = ("import sys, shallownet as sn\n"
              "net = sn.Network.init(2000, 2000, 1, seed=0, dtype='float64')\n"
              "print('ready', flush=True)\n"
              "while True:\n    sn.save(net, sys.argv[1])\n")
    path = tmp_path / "big.safetensors"
    for delay in (0.05, 0.15, 0.3):
        p = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE,
                             text=True)
        try:
            assert p.stdout.readline().strip() == "ready"
            time.sleep(delay)
        finally:
            p.kill()
            p.wait()
        if path.exists():
            assert type(load(path)) is Network
    save(Network.init(2, 2, seed=0), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.safetensors"]


# ---------------------------------------------------------------------------- Ctrl-C
def test_ctrl_c_during_the_write_lets_the_save_complete(tmp_path, monkeypatch):
    real_fsync = os.fsync

    def fsync_then_ctrl_c(fd):
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the model is being written

    monkeypatch.setattr(os, "fsync", fsync_then_ctrl_c)
    path = tmp_path / "m.safetensors"
    with pytest.raises(KeyboardInterrupt):
        save(Network.init(3, 2, seed=0), path)
    monkeypatch.undo()
    assert type(load(path)) is Network
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_during_the_cli_save_exits_130_with_the_model_saved(tmp_path, monkeypatch):
    real_fsync = os.fsync

    def fsync_then_ctrl_c(fd):
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(os, "fsync", fsync_then_ctrl_c)
    path = tmp_path / "m.safetensors"
    result = run("train", "iris", "--epochs", 3, "-q", "--out", path)
    monkeypatch.undo()
    assert result.exit_code == 130 and result.stderr.strip().splitlines() == [
        "error: interrupted"]
    assert load(path).n_iter_ >= 1


# What the console script does, with a line on stdout once `shallownet.cli` is imported (a few
# milliseconds, all of it before the package's first line runs, is Python's own start-up).
_LAUNCH = ("import sys\nfrom shallownet.cli import main\nsys.argv[0] = 'shallownet'\n"
           "sys.stdout.write('started\\n'); sys.stdout.flush()\nmain()\n")


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.002, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4, 0.8, 1.5])
def test_ctrl_c_at_any_moment_is_one_line_and_exit_130(tmp_path, delay):
    """SIGINT from the first import to the last line: one line, exit 130 (or the run was
    already over: exit 0, and the model loads)."""
    model = tmp_path / "m.safetensors"
    for _ in range(3):
        code, out, err = _interrupted_run(tmp_path, model, delay)
        # on a loaded machine the signal can land in the launcher's own two lines before
        # main() (its traceback names only "<string>"): that moment is not shallownet's; again
        if not ("Traceback" in err and "shallownet" not in err):
            break
    assert "Traceback" not in out + err, err
    if code == 0:
        assert load(model) is not None
        return
    assert code == 130, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], err
    if model.exists():
        load(model)
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def _interrupted_run(tmp_path, model, delay):
    p = subprocess.Popen([sys.executable, "-c", _LAUNCH, "train", "iris", "--epochs", "40",
                          "-q", "--out", str(model)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert p.stdout.readline() == "started\n"  # nothing heavy is imported yet
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, out, err


def test_import_shallownet_loads_nothing_heavy():
    code = ("import sys, shallownet, shallownet.cli\n"
            "print(sorted(m for m in ('numpy', 'typer', 'rich', 'sklearn') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr
    assert shallownet.Network is Network


def test_an_import_error_caused_by_ctrl_c_is_an_interruption(monkeypatch, capsys):
    """Ctrl-C while the standard library builds a class during an import surfaces as
    ``RuntimeError: Error calling __set_name__ ...`` caused by the KeyboardInterrupt: one line,
    exit 130, no traceback."""
    import shallownet.cli as cli

    def failing_import(name):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as ctrl_c:
            raise RuntimeError("Error calling __set_name__ on 'cached_property'") from ctrl_c

    monkeypatch.setattr(cli, "__getattr__", failing_import)
    with pytest.raises(SystemExit) as done:
        cli.main(["info", "m.safetensors"])
    assert done.value.code == 130
    assert capsys.readouterr().err == "error: interrupted\n"

    def other_error(name):
        raise RuntimeError("not an interruption")

    monkeypatch.setattr(cli, "__getattr__", other_error)
    with pytest.raises(RuntimeError, match="not an interruption"):
        cli.main(["info", "m.safetensors"])

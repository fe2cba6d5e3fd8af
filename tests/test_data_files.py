"""The pyarrow data layer: dialects, special files, exact labels, numbers that do not fit,
the task rule (the notes' Problem 4(a)) and the column choice before conversion."""

from __future__ import annotations

import os
import re
import stat
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import shallownet as sn
from shallownet.cli import app
from shallownet.data import DataError, load, read_table

pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, *words):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


# --------------------------------------------------------------------------------- dialects
def test_semicolon_csv_with_decimal_commas_is_read_as_numbers(tmp_path):
    f = write(tmp_path / "eu.csv", "a;b;kind\n5,1;3,5;x\n4,9;3,0;y\n6,2;2,9;x\n")
    ds = load(f)
    np.testing.assert_allclose(ds.X, [[5.1, 3.5], [4.9, 3.0], [6.2, 2.9]])
    assert list(ds.y) == ["x", "y", "x"]


def test_semicolon_csv_with_every_cell_quoted_and_decimal_commas(tmp_path):
    # pandas to_csv(sep=";", decimal=",", quoting=csv.QUOTE_ALL), some spreadsheet exports
    f = write(tmp_path / "eu.csv", '"a";"b";"kind"\n"5,1";"3,5";"x"\n"4,9";"3,0";"y"\n')
    ds = load(f)
    np.testing.assert_allclose(ds.X, [[5.1, 3.5], [4.9, 3.0]])
    assert list(ds.y) == ["x", "y"]


def test_decimal_comma_target_is_a_real_value(tmp_path):
    f = write(tmp_path / "eu.csv", "a;price\n1;0,5\n2;1,25\n3;2,75\n")
    ds = load(f)
    assert ds.task == "regression"
    np.testing.assert_allclose(ds.y, [0.5, 1.25, 2.75])


def test_a_comma_before_three_digits_in_every_cell_is_not_called_a_decimal_comma(tmp_path):
    """Amounts a spreadsheet wrote with thousands separators ("8,412", quoted in a comma file)
    were called numbers written with a decimal comma, with the advice to read the file with
    --decimal , which would have read 8,412 as 8.412: a thousandfold too small. A comma before
    exactly three digits in every cell reads both ways; the message says so, with both ways
    out. Columns whose cells show a decimal comma ("0,125", "5,1") keep the --decimal advice."""
    rng = np.random.default_rng(2)
    amounts = rng.integers(1000, 90000, 60)
    path = write(tmp_path / "us.csv", "a,income,label\n" + "".join(
        f'{i},"{v:,}",{"xy"[i % 2]}\n' for i, v in enumerate(amounts)))
    cell = f"{amounts[0]:,}"
    for result in (run("train", path), run("train", path, "--stream")):
        one_line_error(result, "'income' hold numbers with a comma before three digits",
                       f"({cell} = {cell.replace(',', '')}) or a decimal comma "
                       f"({cell.replace(',', '.')})", "--decimal ,")
    # rewritten as the first way out says, it trains on the amounts themselves
    plain = write(tmp_path / "plain.csv", "a,income,label\n" + "".join(
        f"{i},{v},{'xy'[i % 2]}\n" for i, v in enumerate(amounts)))
    ds = load(plain)
    np.testing.assert_array_equal(ds.X[:, 1], amounts)
    # a decimal comma shown by a cell (a 0 before it, or not three digits after) is named so
    for cells in (["0,125", "1,250"], ["5,1", "4,25"]):
        path = write(tmp_path / "eu.csv", "a,b,label\n" + "".join(
            f'{i},"{cells[i % 2]}",{"xy"[i % 2]}\n' for i in range(40)))
        one_line_error(run("train", path), "hold numbers written with a decimal comma",
                       "--decimal ,")


def test_decimal_comma_in_a_tab_file_is_named_with_the_fix(tmp_path):
    f = write(tmp_path / "eu.tsv", "a\tb\ty\n5,1\t1\t0\n4,9\t2\t1\n")
    with pytest.raises(DataError, match=r"'a'.*decimal comma.*--decimal ,"):
        load(f)
    ds = load(f, decimal=",")
    np.testing.assert_allclose(ds.X[:, 0], [5.1, 4.9])


def test_pipe_delimiter_crlf_quotes_and_empty_lines(tmp_path):
    f = tmp_path / "p.csv"
    f.write_bytes(b'a|b|label\r\n1|"2"|"x|y"\r\n\r\n3|4|z\r\n')
    ds = load(f)
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    assert list(ds.y) == ["x|y", "z"]


@pytest.mark.parametrize("sep", [";", ",", "\t", "|"])
def test_a_sep_line_above_the_header_names_the_separator(tmp_path, sep):
    """'sep=;' on the first line (written for spreadsheets, which take the separator from it)
    was read as the header: 'column 2 has no name in the header row; name it'."""
    pd = pytest.importorskip("pandas")
    comma = sep == ";"
    lines = [f"sep={sep}", sep.join(["a", "b", "kind"])] + [
        sep.join([f"{i * 0.5}".replace(".", "," if comma else "."), str(i % 7), "xy"[i % 2]])
        for i in range(40)]
    path = write(tmp_path / "s.csv", "\ufeff" + "\r\n".join(lines) + "\r\n")
    ds = load(path)
    reference = pd.read_csv(path, sep=sep, skiprows=1, decimal="," if comma else ".",
                            encoding="utf-8-sig")
    assert ds.feature_names == ["a", "b"] and ds.target_name == "kind"
    np.testing.assert_allclose(ds.X, reference[["a", "b"]].to_numpy(), rtol=1e-6)
    assert list(ds.y) == reference["kind"].tolist()
    model = tmp_path / "m.safetensors"
    assert run("train", path, "--epochs", 1, "--seed", 0, "--out", model).exit_code == 0
    for extra in ([], ["--stream"]):
        p = run("predict", model, path, *extra)
        assert p.exit_code == 0 and len(p.stdout.strip().splitlines()) == 41, p.output


def test_cli_decimal_option(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    rows = "".join(f"{a:.3f}\t{b:.3f}\t{int(a > 0)}\n".replace(".", ",") for a, b in X)
    f = write(tmp_path / "d.tsv", "a\tb\ty\n" + rows)
    one_line_error(run("train", f, "--out", tmp_path / "m.safetensors"), "--decimal ,")
    r = run("train", f, "--decimal", ",", "--epochs", 3, "--out", tmp_path / "m.safetensors",
            "-q")
    assert r.exit_code == 0, r.output


# --------------------------------------------------------------------------- only files
def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="FIFO.*not a data file"):
        load(fifo)
    one_line_error(run("train", fifo), "pipe.csv", "FIFO")


def test_a_device_behind_a_link_is_refused(tmp_path):
    dev = tmp_path / "zero"
    try:
        os.mknod(dev, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # like /dev/zero, in tmp_path
    except PermissionError:
        pytest.skip("making a device node needs root")
    link = tmp_path / "data.csv"
    link.symlink_to(dev)
    with pytest.raises(DataError, match="character device"):
        load(link)
    one_line_error(run("train", link), "data.csv", "character device")


def test_a_folder_without_parquet_files_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="directory without Parquet files"):
        load(tmp_path / "d")


def test_a_folder_of_parquet_files_is_one_data_set(tmp_path):
    d = tmp_path / "parts"
    d.mkdir()
    pq.write_table(pa.table({"x": [1.0, 2.0], "y": [0, 1]}), d / "a.parquet")
    pq.write_table(pa.table({"x": [3.0, 4.0], "y": [1, 0]}), d / "b.parquet")
    ds = load(d)
    np.testing.assert_array_equal(ds.X[:, 0], [1, 2, 3, 4])
    assert ds.y.tolist() == [0, 1, 1, 0]


# --------------------------------------------------------------------- columns and numbers
def test_a_dropped_column_is_never_converted(tmp_path):
    t = pa.table({"id": pa.array([1234567890123456789, 2, 3, 4], pa.int64()),
                  "x": [0.1, 0.2, 0.3, 0.4], "y": [0, 1, 0, 1]})
    pq.write_table(t, tmp_path / "ids.parquet")
    ds = load(tmp_path / "ids.parquet", drop=["id"])
    assert ds.feature_names == ["x"]
    f = write(tmp_path / "g.csv", "note,x,y\nfree text,1,0\n\"more, text\",2,1\n")
    assert load(f, drop=["note"]).feature_names == ["x"]


def test_huge_integer_labels_stay_exact(tmp_path):
    rows = "".join(f"{i % 7},{lab}\n" for i, lab in enumerate(
        ["1e20", "-1e20", "100000000000000000000", "100000000000000000001"] * 6))
    f = write(tmp_path / "big.csv", "x,label\n" + rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load(f)
    assert ds.task == "classification"
    assert sorted(set(ds.y)) == ["-1e20", "100000000000000000000", "100000000000000000001",
                                 "1e20"]


def test_a_target_of_ten_to_the_23_is_predicted_exactly(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    lab = np.where(X[:, 0] > 0, "100000000000000000000000", "7")
    f = write(tmp_path / "t.csv", "a,b,label\n" + "".join(
        f"{a},{b},{c}\n" for (a, b), c in zip(X, lab, strict=True)))
    out = tmp_path / "m.safetensors"
    r = run("train", f, "--epochs", 40, "--seed", 0, "--out", out, "-q")
    assert r.exit_code == 0, r.output
    pred = sn.load(out).predict(X)
    assert set(pred) <= {"100000000000000000000000", "7"}
    assert np.mean(pred == lab) > 0.8


def test_parquet_uint64_labels_beyond_int64_stay_exact(tmp_path):
    big = 2 ** 63 + 5
    pq.write_table(pa.table({"x": [0.0, 1.0, 2.0, 3.0],
                             "y": pa.array([big, 1, big, 1], pa.uint64())}), tmp_path / "u.pq")
    ds = load(tmp_path / "u.pq")
    assert sorted(set(ds.y)) == ["1", str(big)]


def test_features_beyond_float32_name_the_real_cause(tmp_path):
    f = write(tmp_path / "h.csv", "a,b,y\n1e308,1,0\n-1e308,2,1\n3,4,0\n")
    with pytest.raises(DataError, match=r"'a' \(up to 1e\+308\).*too large for float32.*"
                                        r"rescale.*float64"):
        load(f, dtype=np.float32)
    assert load(f, dtype=np.float64).X[0, 0] == 1e308
    r = run("train", f, "--out", tmp_path / "m.safetensors")
    one_line_error(r, "too large for float32", "--dtype float64")
    # an inf written in the file is still a non-finite value, not an overflow
    g = write(tmp_path / "i.csv", "a,b,y\ninf,1,0\n2,2,1\n")
    with pytest.raises(DataError, match="1 of 2 rows.*'a'.*drop or impute"):
        load(g, dtype=np.float32)


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_python_estimators_name_float32_overflow():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), np.arange(30) % 2
    with pytest.raises(ValueError, match="too large for float32.*rescale X.*float64"):
        sn.Classifier(epochs=1).fit(X * 1e300, y)
    with pytest.raises(ValueError, match="y has values up to.*too large for float32"):
        sn.Regressor(epochs=1).fit(X, y * 1e300)
    sn.Classifier(epochs=1, dtype="float64").fit(X * 1e300, y)  # float64 holds them


def test_nested_and_timestamp_columns_are_refused_by_name(tmp_path):
    t = pa.table({"x": [1.0, 2.0], "tags": pa.array([[1, 2], [3]]),
                  "when": pa.array([0, 1], pa.timestamp("s")), "y": [0, 1]})
    pq.write_table(t, tmp_path / "n.parquet")
    with pytest.raises(DataError, match=r"'tags' \(list<.*'when' \(timestamp"):
        load(tmp_path / "n.parquet")
    assert load(tmp_path / "n.parquet", drop=["tags", "when"]).feature_names == ["x"]


def test_x_is_built_in_the_requested_dtype(tmp_path):
    f = write(tmp_path / "d.csv", "a,b,y\n1,2,0\n3,4,1\n")
    assert load(f, dtype=np.float32).X.dtype == np.float32
    pq.write_table(pa.table({"a": pa.array([1, 2], pa.int32()), "b": [True, False],
                             "y": [0.5, 1.5]}), tmp_path / "d.pq")
    ds = load(tmp_path / "d.pq", dtype=np.float32)
    assert ds.X.dtype == np.float32
    np.testing.assert_array_equal(ds.X, [[1, 1], [2, 0]])


def test_read_table_on_parquet(tmp_path):
    pq.write_table(pa.table({"a": [1.0, None], "b": ["x", "y"]}), tmp_path / "d.pq")
    t = read_table(tmp_path / "d.pq")
    assert t["a"].numeric and np.isnan(t["a"].values[1]) and not t["b"].numeric


def test_wide_csv(tmp_path):
    d = 3000
    rng = np.random.default_rng(0)
    X = rng.integers(0, 9, size=(5, d))
    header = ",".join(f"c{j}" for j in range(d)) + ",label\n"
    body = "".join(",".join(map(str, r)) + f",{i % 2}\n" for i, r in enumerate(X))
    ds = load(write(tmp_path / "w.csv", header + body))
    np.testing.assert_array_equal(ds.X, X)


def test_a_wide_csv_is_read_in_blocks_of_many_rows(tmp_path):
    """pyarrow makes a chunk per column per block: 4 MiB blocks cut 200 rows of 20,000 columns
    (8 MB) into several blocks, so its work grew as rows x columns^2. Blocks hold about 1,024
    rows now (up to 32 MiB): one block, one chunk per column. The header row keeps its quoted
    names."""
    from shallownet.data import open_file
    from shallownet.data.stream import blocks

    d, n = 20_000, 200
    rng = np.random.default_rng(0)
    X = rng.integers(10, 99, size=(n, d))
    names = ['"c,0"'] + [f"c{j}" for j in range(1, d)]
    f = tmp_path / "w.csv"
    with open(f, "w") as out:
        out.write(",".join(names) + ",label\n")
        np.savetxt(out, np.column_stack([X, np.arange(n) % 2]), fmt="%d", delimiter=",")
    fmt = open_file(f)
    assert fmt.names[:2] == ["c,0", "c1"] and len(fmt.names) == d + 1
    parts = list(blocks(fmt, fmt.names[:-1], "label"))
    assert len(parts) == 1
    np.testing.assert_array_equal(parts[0][0], X)


# ---------------------------------------------------------------------------- the task rule
def letters_csv(path, n=260, seed=0):
    """The notes' Problem 4(a): 26 letters as integer classes 0..25 in a 'label' column."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 26
    X = rng.normal(size=(n, 5)) + y[:, None] * 0.5
    path.write_text("f1,f2,f3,f4,f5,label\n" + "".join(
        ",".join(f"{v:.4f}" for v in x) + f",{c}\n" for x, c in zip(X, y, strict=True)))
    return path


def test_problem_4a_letters_are_classes(tmp_path):
    ds = load(letters_csv(tmp_path / "letters.csv"))
    assert ds.task == "classification" and len(set(ds.y)) == 26
    assert "named like class labels" in ds.task_note


def test_many_whole_numbers_in_an_ordinary_column_stay_regression(tmp_path):
    rng = np.random.default_rng(0)
    f = write(tmp_path / "r.csv", "x,price\n" + "".join(
        f"{i},{p}\n" for i, p in enumerate(rng.integers(100, 900, size=200))))
    assert load(f).task == "regression"


def test_free_text_target_is_refused_with_the_fix(tmp_path):
    f = write(tmp_path / "t.csv", "a,b,comment\n" + "".join(
        f"{i},{i * 2},note number {i}\n" for i in range(150)))
    with pytest.raises(DataError, match=r"'comment'.*150 distinct texts in 150 rows.*--target.*"
                                        r"--drop"):
        load(f)
    one_line_error(run("train", f), "t.csv", "'comment'", "--target")


def test_an_identifier_target_is_refused(tmp_path):
    f = write(tmp_path / "t.csv", "a,b,row_id\n" + "".join(
        f"{i % 3},{i % 5},{1000 + i}\n" for i in range(50)))
    with pytest.raises(DataError, match="row identifier.*--target.*--drop"):
        load(f)


def test_train_says_which_task_and_how_to_change_it(tmp_path):
    f = letters_csv(tmp_path / "letters.csv")
    r = run("train", f, "--epochs", 2, "--out", tmp_path / "m.safetensors", "-q")
    assert r.exit_code == 0, r.output
    assert "task: classification (26 distinct whole numbers in a column named like class " \
           "labels); to change it use --task regression" in " ".join(r.stdout.split())
    r = run("train", "iris", "--epochs", 1, "--out", tmp_path / "i.safetensors", "-q")
    assert "task: classification (the data set's own task)" in r.stdout
    # a text target cannot be a regression target: no hint that leads into an error
    text = write(tmp_path / "t.csv", "a,label\n" + "".join(f"{i},{'xy'[i % 2]}\n"
                                                            for i in range(30)))
    r = run("train", text, "--epochs", 1, "--out", tmp_path / "t.safetensors", "-q")
    assert "task: classification (the target holds text)\n" in r.stdout, r.stdout


def test_a_wide_parquet_file_opens_and_duplicate_names_are_named(tmp_path):
    """The duplicate-name check counted each name with list.count (quadratic: 14 s to open
    20,000 columns, minutes at 100,000); a Counter now. Duplicates are still named."""
    d = 30_000
    t = pa.table({**{f"c{j}": np.full(3, j, np.float32) for j in range(d)}, "label": [0, 1, 0]})
    pq.write_table(t, tmp_path / "w.parquet")
    ds = load(tmp_path / "w.parquet", dtype=np.float32)
    assert ds.X.shape == (3, d) and ds.X[0, -1] == d - 1
    dup = pa.Table.from_arrays([pa.array([1.0]), pa.array([2.0]), pa.array([3.0]),
                                pa.array([0])], names=["a", "b", "a", "label"])
    pq.write_table(dup, tmp_path / "dup.parquet")
    with pytest.raises(DataError, match=r"dup.parquet: duplicate column names: 'a'$"):
        load(tmp_path / "dup.parquet")


# ------------------------------------------------------------- pandas' row index (to_csv)
def _pandas_export(path, index=None, rows=200):
    """A frame written as pandas writes it by default: its index first, under an empty name."""
    import pandas as pd

    rng = np.random.default_rng(3)
    X = rng.normal(size=(rows, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"], index=index)
    frame["label"] = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    frame.to_csv(path)
    return X, frame["label"].to_numpy()


def _index(kind, rows):
    import pandas as pd

    return {None: None,
            "filtered": np.arange(rows) * 3 + 7,  # a filtered frame's index: counts up
            "shuffled": np.random.default_rng(5).permutation(rows),  # train_test_split, sample
            "descending": np.arange(rows)[::-1],  # sorted by another column
            "dates": pd.date_range("2026-01-01", periods=rows, freq="h"),
            "names": [f"id-{i:04d}" for i in range(rows)]}[kind]


@pytest.mark.parametrize("index", [None, "filtered", "shuffled", "descending", "dates", "names"])
def test_the_row_index_pandas_writes_is_left_out_and_said(tmp_path, index):
    path = tmp_path / "export.csv"
    rows = 200
    X, y = _pandas_export(path, index=_index(index, rows))
    assert path.read_text().startswith(",a,b,c,label\n")
    ds = load(path)
    assert ds.feature_names == ["a", "b", "c"]
    np.testing.assert_allclose(ds.X, X)
    assert ds.y.tolist() == y.tolist()
    assert ds.dropped == [sn.data.readers.ROW_INDEX]
    assert ds.summary().endswith("the unnamed first column holds row labels (a row index, as "
                                 "pandas and R write): left out")
    model = tmp_path / "m.safetensors"
    r = run("train", path, "--epochs", 2, "--seed", 0, "--out", model)
    assert r.exit_code == 0, r.output
    assert "(a row index, as pandas and R write): left out" in r.output
    for extra in ([], ["--stream"]):  # another export, read whole or streamed
        p = run("predict", model, path, *extra)
        assert p.exit_code == 0, p.output
        assert len(p.stdout.strip().splitlines()) == rows + 1
        assert "row index" not in p.output  # left out, not "ignored"
        e = run("evaluate", model, path, *extra)
        assert e.exit_code == 0, e.output
    s = run("train", path, "--epochs", 1, "--seed", 0, "--stream", "--out", model)
    assert s.exit_code == 0 and "(a row index, as pandas and R write): left out" in s.output, \
        s.output


def test_r_row_names_are_left_out_and_the_row_index_can_be_asked_for(tmp_path):
    # R's write.csv: every cell quoted, the row names first under an empty name
    lines = ['"","a","b","label"'] + [f'"{i + 1}",{i % 7}.5,{(i * 3) % 5}.25,"{"xy"[i % 2]}"'
                                      for i in range(60)]
    path = write(tmp_path / "r.csv", "\n".join(lines) + "\n")
    ds = load(path)
    assert ds.feature_names == ["a", "b"] and ds.dropped == [sn.data.readers.ROW_INDEX]
    np.testing.assert_allclose(ds.X[:3], [[0.5, 0.25], [1.5, 3.25], [2.5, 1.25]])
    # asked for by its name, the row labels are a feature like any other
    ds = load(path, features=[sn.data.readers.ROW_INDEX, "a"])
    assert ds.dropped == [] and ds.X[:3, 0].tolist() == [1, 2, 3]


def test_other_unnamed_columns_still_need_a_name(tmp_path):
    path = write(tmp_path / "e.csv", "a,,label\n0,1.0,x\n1,2.0,y\n")
    with pytest.raises(DataError, match=r"column 2 has no name in the header row; name it$"):
        load(path)
    path = write(tmp_path / "f.csv", ",a,,label\n0,1.0,2,x\n1,2.0,3,y\n")  # one further on
    with pytest.raises(DataError, match=r"column 1 has no name in the header row; name it$"):
        load(path)
    # unnamed columns first, then only named ones: a pandas MultiIndex, left out
    path = write(tmp_path / "g.csv", ",,a,label\n0,p,1.0,x\n1,q,2.0,y\n2,r,3.0,x\n")
    ds = load(path)
    assert ds.feature_names == ["a"] and ds.X[:, 0].tolist() == [1.0, 2.0, 3.0]
    assert ds.summary().endswith("the unnamed first 2 columns hold row labels (a row index, as "
                                 "pandas writes one of several levels): left out")


@pytest.mark.parametrize("sep", [",", ";"])
def test_a_separator_at_the_end_of_every_line_is_left_out_and_said(tmp_path, sep):
    rng = np.random.default_rng(4)
    X = np.round(rng.normal(size=(120, 2)), 3)
    y = np.where(X[:, 0] > 0, "up", "down")
    lines = [sep.join(["a", "b", "label", ""])]
    lines += [sep.join([f"{v:.3f}".replace(".", "," if sep == ";" else ".") for v in row]
                       + [label, ""]) for row, label in zip(X, y, strict=True)]
    path = write(tmp_path / "trail.csv", "\n".join(lines) + "\n")
    ds = load(path)
    assert ds.feature_names == ["a", "b"] and ds.target_name == "label"
    np.testing.assert_allclose(ds.X, X)
    assert ds.summary().endswith("the unnamed last column is empty (a separator at the end of "
                                 "each line): left out")
    model = tmp_path / "m.safetensors"
    r = run("train", path, "--epochs", 2, "--seed", 0, "--out", model)
    assert r.exit_code == 0 and "left out" in r.output, r.output
    p = run("predict", model, path)
    assert p.exit_code == 0 and len(p.stdout.strip().splitlines()) == 121, p.output


@pytest.mark.parametrize("sep, empty", [(",", 3), (";", 2), ("\t", 5)])
def test_several_empty_columns_at_the_end_are_left_out_and_said(tmp_path, sep, empty):
    """A spreadsheet exports columns that were formatted once, empty, as ',,,' at the end of
    every line (and of the header): refused with 'column 4 has no name in the header row; name
    it'."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(5)
    X = np.round(rng.normal(size=(90, 2)), 3)
    y = np.where(X[:, 0] > 0, "up", "down")
    lines = [sep.join(["a", "b", "label"] + [""] * empty)]
    lines += [sep.join([f"{v:.3f}".replace(".", "," if sep == ";" else ".") for v in row]
                       + [label] + [""] * empty) for row, label in zip(X, y, strict=True)]
    path = write(tmp_path / "trail.csv", "\r\n".join(lines) + "\r\n")
    ds = load(path)
    reference = pd.read_csv(path, sep=sep, decimal="," if sep == ";" else ".").dropna(
        axis=1, how="all")   # pandas: the empty columns are all NaN
    assert ds.feature_names == ["a", "b"] == list(reference.columns[:2])
    np.testing.assert_allclose(ds.X, reference[["a", "b"]].to_numpy(), rtol=1e-6)
    assert list(ds.y) == reference["label"].tolist()
    assert ds.summary().endswith(f"the {empty} unnamed last columns are empty (separators at "
                                 "the end of each line, as a spreadsheet exports empty "
                                 "columns): left out")
    model = tmp_path / "m.safetensors"
    r = run("train", path, "--epochs", 2, "--seed", 0, "--out", model)
    assert r.exit_code == 0 and "left out" in r.output, r.output
    for extra in ([], ["--stream"]):
        p = run("predict", model, path, *extra)
        assert p.exit_code == 0 and len(p.stdout.strip().splitlines()) == 91, p.output
        e = run("evaluate", model, path, "--all-rows", *extra)
        assert e.exit_code == 0 and "90 samples" in e.stdout, e.output
    # an unnamed column with values before them still needs a name
    lines[1] = lines[1].replace("up" + sep, "up" + sep + "7", 1).replace(
        "down" + sep, "down" + sep + "7", 1)
    with pytest.raises(DataError, match="column 4 has no name in the header row; name it$"):
        load(write(tmp_path / "named.csv", "\n".join(lines) + "\n"))


def test_an_unnamed_last_column_with_values_still_needs_a_name(tmp_path):
    path = write(tmp_path / "d.csv", "a,b,\n1,2,x\n3,4,y\n")
    with pytest.raises(DataError, match=r"column 3 has no name in the header row; name it "
                                        r"\(an unnamed last column is left out only when it is "
                                        r"empty\)"):
        load(path)


# ------------------------------------------------- stray text in a column of numbers
def test_stray_cells_in_a_numeric_column_are_named_by_row(tmp_path):
    rows = [f"{i * 0.5},{i % 3},{'xy'[i % 2]}" for i in range(40)]
    rows[7] = '"3,5",1,x'  # one number written with a decimal comma, quoted
    path = write(tmp_path / "q.csv", "a,b,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError) as e:
        load(path)
    assert str(e.value) == (f"{path}: text in numeric feature columns, 'a': data row 8 holds "
                            "'3,5' (a decimal comma; write 3.5); correct those cells, or remove "
                            "those rows")
    for cell, hint in [("1,234", "a decimal comma or a thousands separator; write 1.234 or 1234"),
                       ("1,234.5", "thousands separators; write 1234.5"),
                       ("-12,345,678", "thousands separators; write -12345678"),
                       # a 0, or four digits, before the comma: never a thousands separator
                       ("0,125", "a decimal comma; write 0.125"),
                       ("1234,567", "a decimal comma; write 1234.567")]:
        rows[7] = f'"{cell}",1,x'
        path = write(tmp_path / "q.csv", "a,b,label\n" + "\n".join(rows) + "\n")
        with pytest.raises(DataError, match=re.escape(f"data row 8 holds '{cell}' ({hint})")):
            load(path)
    rows[7] = "3.5,1,x"
    rows[20], rows[31], rows[33] = "3.5,abc,x", "1,n/a,y", "2,?-,y"  # n/a is missing
    path = write(tmp_path / "w.csv", "a,b,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"w.csv: text in numeric feature columns, 'b': data "
                                        r"row 21 holds 'abc' \(2 such cells, the first shown\); "
                                        r"correct those cells"):
        load(path)
    r = run("train", path, "--epochs", 1)
    assert r.exit_code == 2 and "data row 21 holds 'abc'" in r.stderr, r.output
    # a column of words is still a column to encode
    rows = [f"{i * 0.5},{['red', 'green', '7'][i % 3]},{'xy'[i % 2]}" for i in range(40)]
    path = write(tmp_path / "c.csv", "a,colour,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"non-numeric feature columns 'colour'; encode"):
        load(path)


def test_a_stray_decimal_point_in_a_decimal_comma_file_is_named(tmp_path):
    rows = [f"{i},{i % 7},5;{'xy'[i % 2]}".replace(",", ";", 1) for i in range(30)]
    rows[12] = "12;3.5;x"
    path = write(tmp_path / "eu.csv", "a;b;label\n" + "\n".join(rows) + "\n")
    assert load(path, drop=["b"]).X[:3, 0].tolist() == [0, 1, 2]
    with pytest.raises(DataError, match=r"eu.csv: text in numeric feature columns, 'b': data "
                                        r"row 13 holds '3.5'; correct"):
        load(path)


# ------------------------------------------------ True/False feature columns (pandas' bools)
def test_bool_feature_columns_are_ones_and_zeros_everywhere(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"a": np.round(rng.normal(size=300), 3), "flag": rng.random(300) > 0.5,
                          "FLAG2": np.where(rng.random(300) > 0.5, "TRUE", "false")})
    frame["label"] = np.where(frame.a + frame.flag > 0.5, "yes", "no")
    path = tmp_path / "bools.csv"
    frame.to_csv(path, index=False)
    ds = load(path)
    np.testing.assert_array_equal(ds.X[:, 1], frame.flag.to_numpy(float))
    np.testing.assert_array_equal(ds.X[:, 2], (frame.FLAG2 == "TRUE").to_numpy(float))
    model = tmp_path / "m.safetensors"
    assert run("train", path, "--epochs", 2, "--seed", 0, "--out", model).exit_code == 0
    whole = run("predict", model, path, "--proba")
    streamed = run("predict", model, path, "--proba", "--stream")
    assert whole.exit_code == streamed.exit_code == 0
    assert whole.stdout == streamed.stdout and len(whole.stdout.splitlines()) == 301
    # a missing cell in a bool column is missing, as anywhere
    lines = path.read_text().splitlines()
    lines[9] = lines[9].replace(",True,", ",,").replace(",False,", ",,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"1 of 300 rows has missing .* 'flag'; drop or impute "
                                        r"it first \(data row 9\)"):
        load(path)
    # a stray word in another column names that column, not the bool ones
    lines[9] = "oops,True,false,yes"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"text in numeric feature columns, 'a': data row 9 "
                                        r"holds 'oops'; correct"):
        load(path)
    # a column of other words is still text to encode
    write(path, "a,colour,label\n" + "".join(f"{i},{'yes' if i % 2 else 'no'},x\n"
                                              for i in range(20)))
    with pytest.raises(DataError, match="non-numeric feature columns 'colour'"):
        load(path)


@pytest.mark.parametrize("index", ["shuffled", "named", "two levels", "range"])
def test_a_pandas_index_in_a_parquet_file_is_left_out_and_said(tmp_path, index):
    """pandas writes a DataFrame's index into Parquet as a column (``__index_level_0__`` at
    the end, or under its name) and reads it back as the index: it is row labels, never the
    target or a feature (it was taken as the target, then as a feature)."""
    import pandas as pd
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame["target"] = np.array(["setosa", "versicolor", "virginica"])[frame["target"]]
    frame = frame.sample(frac=1, random_state=0)
    if index == "named":
        frame.index.name = "flower_id"
    elif index == "two levels":
        frame.index = pd.MultiIndex.from_arrays([frame.index, frame.index % 7])
    elif index == "range":
        frame = frame.reset_index(drop=True)
    path = tmp_path / "iris.parquet"
    frame.to_parquet(path)
    ds = load(path)
    features = [c for c in frame.columns if c != "target"]
    assert ds.feature_names == features and ds.target_name == "target"
    np.testing.assert_array_equal(ds.X, frame[features].to_numpy())
    stored = [n for n in pq.read_schema(path).names if n not in frame.columns]
    assert ds.row_labels == stored and (index != "range") == bool(stored)
    if stored:
        assert f"the pandas index column{'s' if len(stored) > 1 else ''} " in ds.summary()
        assert ds.summary().endswith("(row labels, which pandas reads back as the index): "
                                     "left out")
    model = tmp_path / "m.safetensors"
    r = run("train", path, "--epochs", 2, "--seed", 0, "--out", model)
    assert r.exit_code == 0 and "classification with 3 classes" in r.output, r.output
    assert list(sn.load(model).feature_names_in_) == features
    frame.to_csv(tmp_path / "iris.csv")  # the same rows as CSV, index first: predicted alike
    for data in (path, tmp_path / "iris.csv"):
        for extra in ([], ["--stream"]):
            p = run("predict", model, data, *extra)
            assert p.exit_code == 0 and len(p.stdout.splitlines()) == 151, p.output
    # asked for by name, the index is a column like any other
    if index == "named":
        assert load(path, features=["flower_id", "sepal length (cm)"]).X.shape == (150, 2)


def test_true_false_labels_are_bools_from_csv_and_parquet_alike(tmp_path):
    """A bool target (pandas writes True/False to CSV, a bool column to Parquet): classes
    [False, True] from both, whole or streamed, so a model of one scores the other (CSV gave
    'False'/'True' strings and Parquet 0/1, and evaluate refused the other format)."""
    import pandas as pd

    rng = np.random.default_rng(9)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    frame["label"] = frame.a + frame.b > 0
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    models = {}
    for kind in ("csv", "parquet"):
        path = tmp_path / f"d.{kind}"
        ds = load(path)
        assert ds.y.dtype == bool and ds.y.tolist() == frame.label.tolist()
        source = sn.data.FileSource(path).prepare()
        assert source.classes.dtype == bool and source.classes.tolist() == [False, True]
        models[kind] = tmp_path / f"{kind}.safetensors"
        r = run("train", path, "--epochs", 3, "--seed", 0, "--out", models[kind])
        assert r.exit_code == 0, r.output
        assert "task: classification (the target holds True/False)\n" in r.stdout
        assert sn.load(models[kind]).classes_.tolist() == [False, True]
    for model, other in ((models["csv"], "parquet"), (models["parquet"], "csv")):
        for extra in ([], ["--stream"]):
            e = run("evaluate", model, tmp_path / f"d.{other}", *extra)
            assert e.exit_code == 0 and "accuracy" in e.stdout, e.output
        p = run("predict", model, tmp_path / f"d.{other}")
        assert set(p.stdout.splitlines()[1:]) == {"False", "True"}


@pytest.mark.parametrize("cells, sep, said", [
    (lambda i: f'"{1000 + i * 1234.5:,.2f}"', ",",
     "'b' holds numbers with thousands separators (e.g. '1,000.00'); write them without"),
    (lambda i: f"{i % 50 + 1}.5%", ",", "'b' holds percentages (e.g. '1.5%'); write plain numbers"),
    (lambda i: f'"${1000 + i * 10:,.2f}"', ",",
     "'b' holds amounts with a currency sign (e.g. '$1,000.00')"),
    (lambda i: f"{i % 9 + 1},5 €", ";", "'b' holds amounts with a currency sign (e.g. '1,5 €')"),
    (lambda i: f"2024-01-{i % 28 + 1:02d}", ",",
     "'b' holds dates or times (e.g. '2024-01-01'); convert them to numbers first"),
    (lambda i: f"{i % 12 + 1}:30", ",", "'b' holds dates or times (e.g. '1:30')"),
    (lambda i: f"{1000 + 37 * i:,}".replace(",", ".") + ",5", ";",
     "'b' holds numbers with thousands separators and a decimal comma (e.g. '1.000,5'); write "
     "them without the separators (1234567,5) and read the file with --decimal ,"),
])
def test_columns_of_formatted_numbers_are_named_with_the_way_out(tmp_path, cells, sep, said):
    """A column a spreadsheet formatted for people got 'encode them (one-hot)' advice."""
    lines = [sep.join(["a", "b", "label"])] + [sep.join([str(i), cells(i), "xy"[i % 2]])
                                               for i in range(40)]
    path = write(tmp_path / "f.csv", "\n".join(lines) + "\n")
    for result in (run("train", path), run("train", path, "--stream")):
        one_line_error(result, "feature columns written as formatted text", said)
    # a column of words is still text to encode, with the way to leave it out
    path = write(tmp_path / "w.csv", "a,colour,label\n" + "".join(
        f"{i},{['red', 'green', 'blue'][i % 3]},{'xy'[i % 2]}\n" for i in range(30)))
    one_line_error(run("train", path), "non-numeric feature columns 'colour'",
                          "--drop colour, drop=['colour']")


def test_phone_numbers_are_codes_to_leave_out_not_numbers_to_rewrite(tmp_path):
    """A column of phone numbers ('063 141 365') was called numbers with thousands separators,
    with the advice to write them without the separators: that would have made them a
    feature. A number written for people never starts with 0 before a separator; the column is
    text, and the way out named is --drop."""
    path = write(tmp_path / "c.csv", "age,phone,label\n" + "".join(
        f"{20 + i},0{10 + i} {100 + 7 * i} {200 + 3 * i},{'ny'[i % 2]}\n" for i in range(40)))
    for result in (run("train", path), run("train", path, "--stream")):
        one_line_error(result, "non-numeric feature columns 'phone'", "--drop phone")
    # numbers that may be either keep the thousands advice, with --drop named for codes
    path = write(tmp_path / "d.csv", "age,phone,label\n" + "".join(
        f"{20 + i},{10 + i} {100 + 7 * i} {200 + 3 * i},{'ny'[i % 2]}\n" for i in range(40)))
    one_line_error(run("train", path), "'phone' holds numbers with thousands separators",
                   "codes such as phone numbers are not features: leave the column out with "
                   "--drop")


def test_thousands_advice_is_written_in_the_files_decimal_mark_and_names_drop_for_features(
        tmp_path):
    """In a decimal-comma file, a feature of '1.234,5' cells was told to be written as
    1234567.5, which that file's reader does not take for a number; and a target of numbers
    with thousands separators and a decimal comma (in a decimal-point file) was told that
    codes are not features and to leave the column out with --drop: the target itself."""
    path = write(tmp_path / "f.csv", "a;b;label\n" + "".join(
        f"{1000 + 37 * i:,}".replace(",", ".") + f",5;{i % 3};{'xy'[i % 2]}\n"
        for i in range(40)))
    for result in (run("train", path, "--decimal", ","),
                   run("train", path, "--decimal", ",", "--stream")):
        one_line_error(result, "'a' holds numbers with thousands separators (e.g. '1.000,5'); "
                       "write them without the separators (1234567,5), or read the file",
                       "codes such as phone numbers are not features: leave the column out "
                       "with --drop")
    path = write(tmp_path / "t.csv", "a,b,price\n" + "".join(
        f'{i},{i % 7},"' + f"{1000 + 37 * i:,}".replace(",", ".") + ',5"\n' for i in range(60)))
    for result in (run("train", path), run("train", path, "--stream")):
        one_line_error(result, "the target column 'price' (the last column",
                       "holds numbers with thousands separators and a decimal comma")
        assert "--drop" not in result.stderr and "codes" not in result.stderr, result.stderr


@pytest.mark.parametrize("sep", [",", ";"])
def test_a_header_cell_with_a_line_break_is_read_as_pandas_reads_it(tmp_path, sep):
    """A wrapped header cell (a spreadsheet's Alt+Enter, quoted by the CSV writer) was refused:
    'header row: unexpected end of data'."""
    import pandas as pd

    rng = np.random.default_rng(10)
    frame = pd.DataFrame({"height\n(cm)": np.round(rng.normal(170, 10, 400), 1),
                          "weight\r\n(kg)": rng.integers(50, 90, 400),
                          "label": np.where(rng.random(400) > 0.5, "a", "b")})
    path = tmp_path / "wrapped.csv"
    frame.to_csv(path, index=False, sep=sep, decimal="," if sep == ";" else ".")
    expected = pd.read_csv(path, sep=sep, decimal="," if sep == ";" else ".")
    ds = load(path)
    assert ds.feature_names == list(expected.columns[:2])
    np.testing.assert_array_equal(ds.X, expected.iloc[:, :2].to_numpy(float))
    assert ds.y.tolist() == expected["label"].tolist()
    model = tmp_path / "m.safetensors"
    assert run("train", path, "--epochs", 1, "--seed", 0, "--out", model).exit_code == 0
    whole, streamed = run("predict", model, path), run("predict", model, path, "--stream")
    assert whole.exit_code == 0 and whole.stdout == streamed.stdout
    assert len(whole.stdout.splitlines()) == 401


@pytest.mark.parametrize("kind", ["csv", "parquet", "named parquet", "two-level csv"])
def test_predictions_keep_each_rows_label_so_they_join_back(tmp_path, kind):
    """predict dropped the row labels it had left out of the features: predictions of a
    shuffled frame could only be matched back by position."""
    import io as stdio

    import pandas as pd
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame.sample(frac=1, random_state=0)
    if kind == "named parquet":
        frame.index = [f"flower-{i}" for i in frame.index]
        frame.index.name = "name"
    if kind == "two-level csv":
        frame.index = pd.MultiIndex.from_arrays([frame.index, frame.index % 3])
    path = tmp_path / ("d.csv" if "csv" in kind else "d.parquet")
    frame.to_csv(path) if "csv" in kind else frame.to_parquet(path)
    model = tmp_path / "m.safetensors"
    assert run("train", path, "--epochs", 3, "--seed", 0, "--out", model).exit_code == 0
    expected = sn.load(model).predict(frame.drop(columns="target"))
    levels = 2 if kind == "two-level csv" else 1
    outputs = [run("predict", model, path, *extra).stdout for extra in ([], ["--stream"])]
    assert outputs[0] == outputs[1]
    back = pd.read_csv(stdio.StringIO(outputs[0]), index_col=list(range(levels)))
    assert back["prediction"].tolist() == expected.tolist()
    wanted = frame.index if kind != "two-level csv" else frame.index.get_level_values(0)
    got = back.index if kind != "two-level csv" else back.index.get_level_values(0)
    assert [str(v) for v in got] == [str(v) for v in wanted]
    assert back.index.names == ([None] * levels if kind != "named parquet" else ["name"])


# ----------------------------------------------------- second review: edges of the above
def test_a_stray_cell_in_a_decimal_comma_file_with_two_decimal_comma_columns(tmp_path):
    """A clean decimal-comma column was judged by the decimal point, counted as text with no
    bad row, and crashed the message (IndexError)."""
    lines = ["a;b;label"] + [f"0,{i};{'oops' if i == 7 else f'{i},5'};{i % 2}"
                             for i in range(1, 31)]
    path = write(tmp_path / "dc.csv", "\n".join(lines) + "\n")
    for extra in ([], ["--stream"]):
        one_line_error(run("train", path, *extra),
                       "text in numeric feature columns, 'b': data row 7 holds 'oops'")


@pytest.mark.parametrize("flag, said", [
    (lambda i: "maybe" if i == 30 else ["True", "False"][i % 2],
     "text in numeric feature columns, 'flag': data row 31 holds 'maybe'"),
    (lambda i: [" True", " False"][i % 2],
     "'flag' holds True/False words with spaces around them (e.g. ' True'); write them "
     "without the spaces")])
def test_true_false_columns_with_a_stray_word_or_spaces_are_named(tmp_path, flag, said):
    rng = np.random.default_rng(11)
    lines = ["a,flag,label"] + [f"{rng.normal():.3f},{flag(i)},{i % 2}" for i in range(200)]
    path = write(tmp_path / "f.csv", "\n".join(lines) + "\n")
    for extra in ([], ["--stream"]):
        one_line_error(run("train", path, *extra), said)


def test_true_false_words_mixed_with_ones_and_zeros_are_bools(tmp_path):
    import pandas as pd

    words = ["TRUE", "false", "1", "0"]
    lines = ["a,flag,label"] + [f"{i * 0.1:.1f},{words[i % 4]},{i % 2}" for i in range(100)]
    path = write(tmp_path / "m.csv", "\n".join(lines) + "\n")
    ds = load(path)
    assert ds.X[:4, 1].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert ds.X[:, 1].tolist() == pd.read_csv(path)["flag"].map(
        {"TRUE": 1.0, "false": 0.0, "1": 1.0, "0": 0.0}).tolist()


def test_an_unnamed_first_column_and_a_separator_at_the_end_together(tmp_path):
    lines = [",a,b,label,"] + [f"r{i},{i % 7},{(i * 3) % 5},{i % 2}," for i in range(60)]
    path = write(tmp_path / "both.csv", "\n".join(lines) + "\n")
    ds = load(path)
    assert ds.feature_names == ["a", "b"] and ds.target_name == "label"
    assert "row labels" in ds.summary() and "separator at the end" in ds.summary()
    model = tmp_path / "m.safetensors"
    assert run("train", path, "--epochs", 1, "--out", model).exit_code == 0
    out = run("predict", model, path).stdout.splitlines()
    assert out[0] == ",prediction" and out[1].startswith("r0,")


def test_pandas_unnamed_placeholder_columns_are_row_labels(tmp_path):
    """A frame read back by pandas and written again: its old index is 'Unnamed: 0', first; it
    was trained on as a feature."""
    import pandas as pd
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame.sample(frac=1, random_state=0)
    frame.to_csv(tmp_path / "s1.csv")
    pd.read_csv(tmp_path / "s1.csv").to_csv(tmp_path / "s2.csv")               # both
    pd.read_csv(tmp_path / "s1.csv").to_csv(tmp_path / "s3.csv", index=False)  # the old one
    features = [c for c in frame.columns if c != "target"]
    for name in ("s2.csv", "s3.csv"):
        ds = load(tmp_path / name)
        assert ds.feature_names == features, name
        assert "'Unnamed: 0' (pandas' name for an unnamed index read back as data) left out as "\
               "row labels" in ds.summary()
    # a column that pandas named so but that is not first is an ordinary (refused) name issue
    write(tmp_path / "mid.csv", "a,Unnamed: 1,label\n" + "".join(f"{i},{i % 3},{i % 2}\n"
                                                               for i in range(30)))
    assert load(tmp_path / "mid.csv").feature_names == ["a", "Unnamed: 1"]


def test_row_labels_are_written_back_as_written_and_versions_are_not_dates(tmp_path):
    # labels such as NA (Namibia) or None are text, not missing
    labels = ["NA", "None", "nan", "", "x"] * 8
    path = write(tmp_path / "lab.csv", ",a,label\n" + "".join(
        f"{n},{i},{i % 2}\n" for i, n in enumerate(labels)))
    model = tmp_path / "m.safetensors"
    assert run("train", path, "--epochs", 1, "--out", model).exit_code == 0
    for extra in ([], ["--stream"]):
        out = run("predict", model, path, *extra).stdout.splitlines()[1:]
        assert [line.rsplit(",", 1)[0] for line in out] == labels
    # version numbers are text to encode, not dates
    path = write(tmp_path / "v.csv", "a,version,label\n" + "".join(
        f"{i},3.{i % 4}.{i + 10},{i % 2}\n" for i in range(40)))
    one_line_error(run("train", path), "non-numeric feature columns 'version'")


@pytest.mark.parametrize("index", ["range", "named range", "default"])
def test_a_pandas_range_index_in_parquet_is_written_back_by_predict(tmp_path, index):
    """A RangeIndex is kept in Parquet's metadata, not as a column: one that does not count
    0, 1, 2, ... was lost from predict's output."""
    import io as stdio

    import pandas as pd
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame.index = {"range": pd.RangeIndex(100, 400, 2),
                   "named range": pd.RangeIndex(1000, 1150, name="id"),
                   "default": pd.RangeIndex(150)}[index]
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    assert not (set(pq.read_schema(path).names) - set(frame.columns))  # no index column
    model = tmp_path / "m.safetensors"
    assert run("train", path, "--epochs", 1, "--seed", 0, "--out", model).exit_code == 0
    for extra in ([], ["--stream"]):
        out = run("predict", model, path, *extra).stdout
        if index == "default":  # 0, 1, 2, ...: the line number says it
            assert out.startswith("prediction\n")
            continue
        back = pd.read_csv(stdio.StringIO(out), index_col=0)
        assert back.index.tolist() == frame.index.tolist()
        assert back.index.name == ("id" if index == "named range" else None)


@pytest.mark.parametrize("cells, sep, said", [
    (lambda i: f'"{1000 + i * 1234.5:,.1f}"', ",",
     "holds numbers with thousands separators (e.g. '1,000.0'"),
    (lambda i: f"{1000 + 37 * i:,}".replace(",", ".") + ",5", ";",
     "holds numbers with thousands separators and a decimal comma (e.g. '1.000,5'"),
    (lambda i: f"{i * 0.7 + 1:.1f}%", ",", "holds percentages (e.g. '1.0%'"),
    (lambda i: f'"${1000 + i * 10:,.2f}"', ",", "holds amounts with a currency sign"),
])
def test_a_target_of_formatted_numbers_is_refused_not_made_classes(tmp_path, cells, sep, said):
    """A regression target a spreadsheet formatted for people (1,234.5 / 12.5% / $1,000.00)
    was read as text: 'classification with 60 classes', accuracy 0 on the held-out rows."""
    lines = [sep.join(["a", "b", "price"])] + [sep.join([str(i), str(i % 7), cells(i)])
                                               for i in range(60)]
    path = write(tmp_path / "f.csv", "\n".join(lines) + "\n")
    for result in (run("train", path), run("train", path, "--stream"),
                   run("train", path, "--task", "regression")):
        one_line_error(result, "the target column 'price' (the last column", said,
                       "text rather than numbers (as classes, each value would be a label of "
                       "its own); write ")
    one_line_error(run("train", path), "; first at data row 1), text rather than numbers")
    if sep == ";":
        for extra in ([], ["--decimal", ","]):
            one_line_error(run("train", path, *extra),
                           "write them without the separators (1234567,5)")
    with pytest.raises(DataError, match="text rather than numbers"):
        load(path)


def test_a_target_written_as_the_message_says_is_a_regression_target(tmp_path):
    pd = pytest.importorskip("pandas")
    lines = ["a,b,price"] + [f'{i},{i % 7},"{1000 + i * 1234.5:,.1f}"' for i in range(60)]
    path = write(tmp_path / "f.csv", "\n".join(lines) + "\n")
    one_line_error(run("train", path), "pandas' thousands=")
    plain = tmp_path / "plain.csv"
    pd.read_csv(path, thousands=",").to_csv(plain, index=False)   # the fix the message gives
    ds = load(plain)
    assert ds.task == "regression"
    np.testing.assert_array_equal(ds.y, [1000 + i * 1234.5 for i in range(60)])
    # a regression model scored on the formatted file: the format named, not 'use
    # classification'
    model = tmp_path / "m.safetensors"
    assert run("train", plain, "--epochs", 2, "--seed", 0, "-q", "--out", model).exit_code == 0
    one_line_error(run("evaluate", model, path), "holds numbers with thousands separators")


@pytest.mark.parametrize("error_cell", ["#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!"])
def test_spreadsheet_error_cells_in_the_target_are_refused(tmp_path, error_cell):
    """'#VALUE!' among the species names became a fourth class; '#DIV/0!' among numbers made
    every number a class."""
    text = ["a,b,species"] + [f"{i},{i % 5},{['cat', 'dog', 'owl'][i % 3]}" for i in range(60)]
    text[8] = f"7,2,{error_cell}"
    numbers = ["a,b,weight"] + [f"{i},{i % 5},{i * 1.5 + 3}" for i in range(60)]
    numbers[31] = f"30,0,{error_cell}"
    for lines, row in ((text, 8), (numbers, 31)):
        path = write(tmp_path / "e.csv", "\n".join(lines) + "\n")
        for extra in ([], ["--stream"], ["--task", "classification"]):
            one_line_error(run("train", path, *extra), f"holds spreadsheet error cells "
                           f"('{error_cell}'", "correct those cells in the spreadsheet")
        one_line_error(run("train", path), f"first at data row {row})")


def test_stray_words_among_target_numbers_are_named(tmp_path):
    """A '-' or 'unknown' among a numeric target's values made it text: classes, or the
    misleading 'a different one in most rows (an identifier or free text?)'."""
    rng = np.random.default_rng(0)
    cells = [f"{v:.0f}" for v in rng.normal(150, 40, 300)]
    cells[17], cells[40] = "-", "unknown"
    lines = ["a,b,y"] + [f"{i % 11},{i % 5},{c}" for i, c in enumerate(cells)]
    path = write(tmp_path / "s.csv", "\n".join(lines) + "\n")
    said = ("the target column 'y' (named 'y'; name another with --target) holds numbers, but 2 "
            "values are text ('-', 'unknown'")
    for extra in ([], ["--stream"], ["--task", "regression"]):
        one_line_error(run("train", path, *extra), said, "--task classification")
    one_line_error(run("train", path), "first at data row 18)")
    assert load(path, task="classification").task == "classification"   # labels, if so asked


def test_text_labels_that_are_partly_numbers_stay_classes(tmp_path):
    # class numbers with a word among them, in a column named like labels; and words only
    lines = ["a,label"] + [f"{i},{i % 30 if i % 30 < 29 else 'other'}" for i in range(120)]
    assert load(write(tmp_path / "l.csv", "\n".join(lines) + "\n")).task == "classification"
    lines = ["a,grade"] + [f"{i},{['A', 'B', 'C', '1'][i % 4]}" for i in range(40)]
    ds = load(write(tmp_path / "g.csv", "\n".join(lines) + "\n"))
    assert ds.task == "classification" and sorted(set(ds.y)) == ["1", "A", "B", "C"]
    # a few formatted values are labels, as whole numbers would be
    lines = ["a,discount"] + [f"{i},{(i % 3 + 1) * 10}%" for i in range(40)]
    ds = load(write(tmp_path / "p.csv", "\n".join(lines) + "\n"))
    assert ds.task == "classification" and sorted(set(ds.y)) == ["10%", "20%", "30%"]

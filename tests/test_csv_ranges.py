"""CSV files parsed in byte ranges on several threads give what the one-thread reader gives.

The ranges are made tiny here (a few KiB instead of 16 MiB) so small files take the parallel
path; every result is compared with the same file read by pyarrow's streaming reader alone.
"""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pytest

from shallownet.data import DataError, load, readers


@pytest.fixture
def small_ranges(monkeypatch):
    if pa.cpu_count() < 2:
        pytest.skip("pyarrow sees one CPU: CSV files are parsed on one thread")
    monkeypatch.setattr(readers, "_RANGE_BYTES", 2048)
    monkeypatch.setattr(readers, "_MIN_BLOCK", 1024)
    seen = []
    real = readers.FileFormat._csv_batches_parallel

    def spy(self, columns, types, ranges, prepare=None):
        seen.append(len(ranges))
        yield from real(self, columns, types, ranges, prepare)

    monkeypatch.setattr(readers.FileFormat, "_csv_batches_parallel", spy)
    return seen


def _serial(monkeypatch, path, **kw):
    with monkeypatch.context() as m:
        m.setattr(readers, "_RANGE_BYTES", 1 << 40)
        return load(path, **kw)


def _write_table(path, rows=6000, sep=",", decimal=".", crlf=False, bom=False, sep_line=False):
    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(rows, 3)), 6)  # the values as written
    y = np.array(["cat", "dog", "emu"])[rng.integers(0, 3, rows)]
    end = "\r\n" if crlf else "\n"
    lines = [f"sep={sep}"] * sep_line + [sep.join(["a", "b", "c", "label"])]
    for row, label in zip(X, y, strict=True):
        lines.append(sep.join([f"{v:.6f}".replace(".", decimal) for v in row] + [label]))
    path.write_text(("\ufeff" if bom else "") + end.join(lines) + end, encoding="utf-8")
    return X, y


@pytest.mark.parametrize("dialect", [dict(), dict(sep=";", decimal=","), dict(crlf=True),
                                     dict(bom=True), dict(sep="\t"),
                                     dict(sep=";", decimal=",", sep_line=True, bom=True)])
def test_ranges_read_the_same_rows_in_the_same_order(tmp_path, small_ranges, monkeypatch,
                                                     dialect):
    path = tmp_path / ("d.tsv" if dialect.get("sep") == "\t" else "d.csv")
    X, y = _write_table(path, **dialect)
    ds = load(path, dtype=np.float32)
    assert small_ranges and small_ranges[0] > 4  # the parallel path ran, more ranges than in flight
    serial = _serial(monkeypatch, path, dtype=np.float32)
    np.testing.assert_array_equal(ds.X, serial.X)
    np.testing.assert_array_equal(ds.X, X.astype(np.float32))
    assert ds.y.tolist() == serial.y.tolist() == y.tolist()


def test_a_ragged_line_late_in_the_file_is_named_by_its_line(tmp_path, small_ranges):
    path = tmp_path / "d.csv"
    _write_table(path)
    lines = path.read_text().splitlines()
    lines[4500] += ",7"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"line 4501 has 5 fields but the header has 4"):
        load(path)
    assert small_ranges


def test_a_bad_cell_and_missing_values_are_named_as_in_one_thread(tmp_path, small_ranges,
                                                                  monkeypatch):
    path = tmp_path / "d.csv"
    _write_table(path)
    lines = path.read_text().splitlines()
    lines[5700] = "NA," + lines[5700].split(",", 1)[1]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as parallel:
        load(path)
    with pytest.raises(DataError) as serial:
        _serial(monkeypatch, path)
    assert str(parallel.value) == str(serial.value)
    assert "1 of 6000 rows" in str(parallel.value)
    lines[5700] = "abc," + lines[5700].split(",", 1)[1]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="text in numeric feature columns, 'a': data row 5700 "
                                        "holds 'abc'; correct") as text:
        load(path)
    with pytest.raises(DataError) as text_serial:
        _serial(monkeypatch, path)
    assert str(text.value) == str(text_serial.value)


def test_a_consumer_that_stops_early_leaves_no_parsing_thread(tmp_path, small_ranges):
    path = tmp_path / "d.csv"
    _write_table(path, rows=12000)
    fmt = readers.open_file(path)
    batches = fmt.batches(["a", "b"], {"a": pa.float32(), "b": pa.float32()})
    next(batches)
    batches.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("shallownet-csv")]


def test_a_quoted_header_is_read_on_one_thread(tmp_path, small_ranges, monkeypatch):
    path = tmp_path / "d.csv"
    X, _ = _write_table(path)
    text = path.read_text().split("\n", 1)
    path.write_text('"a","b","c","label"\n' + text[1])
    ds = load(path, dtype=np.float32)
    assert not small_ranges
    np.testing.assert_array_equal(ds.X, X.astype(np.float32))


def test_at_most_a_few_ranges_are_parsed_ahead_of_the_consumer(tmp_path, small_ranges,
                                                                monkeypatch):
    """The ranges' text and tables are the parallel path's memory: no more than
    ``_RANGES_AHEAD`` are read ahead of the batch the consumer is at, whatever the file's size."""
    path = tmp_path / "d.csv"
    _write_table(path, rows=12000)
    real = readers.pacsv.read_csv
    started = []

    def counting(*args, **kwargs):
        started.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(readers.pacsv, "read_csv", counting)
    fmt = readers.open_file(path)
    seen = 0
    for i, batch in enumerate(fmt.batches(["a", "b"], {"a": pa.float32(), "b": pa.float32()})):
        assert len(started) <= i + readers._RANGES_AHEAD, (i, len(started))
        seen += batch.num_rows
    assert seen == 12000 and len(started) == small_ranges[0] > readers._RANGES_AHEAD


def _write_whole(path, rows=6000, change=None):
    """Whole numbers in three feature columns (and an int label); ``change`` = (row, column,
    text) writes one other cell far down the file."""
    rng = np.random.default_rng(1)
    X = rng.integers(-300, 300, size=(rows, 3))
    y = rng.integers(0, 4, rows)
    cells = [[str(v) for v in row] + [str(label)] for row, label in zip(X, y, strict=True)]
    if change is not None:
        r, c, text = change
        cells[r][c] = text
    path.write_text("a,b,c,label\n" + "".join(",".join(row) + "\n" for row in cells))
    return X, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("change", [None, (4000, 1, "3.5"), (4000, 1, "3e9"),
                                    (4000, 0, "-2147483649"), (100, 2, "7.0"),
                                    (5999, 1, "1e-3"), (3000, 2, "40000"), (3000, 0, "-32769"),
                                    (3000, 0, "-32768")])
def test_whole_numbers_parsed_as_integers_give_what_floats_give(tmp_path, small_ranges,
                                                                monkeypatch, dtype, change):
    """Columns whose first lines are whole numbers are parsed as int32 on the range threads:
    the same numbers as parsing them as floats, also when a cell far down is not whole or not
    within int32 (that range is parsed again, as floats)."""
    path = tmp_path / "w.csv"
    X, y = _write_whole(path, change=change)
    whole = []
    real = readers.FileFormat._whole_number_columns

    def spy(self, *args):
        whole.append(real(self, *args))
        return whole[-1]

    monkeypatch.setattr(readers.FileFormat, "_whole_number_columns", spy)
    ds = load(path, dtype=dtype)
    assert small_ranges and whole == [(["a", "b", "c"], pa.int16())]  # integers were tried
    serial = _serial(monkeypatch, path, dtype=dtype)
    assert ds.X.dtype == dtype
    np.testing.assert_array_equal(ds.X, serial.X)
    expected = X.astype(np.float64)
    if change is not None:
        expected[change[0], change[1]] = float(change[2])
    np.testing.assert_array_equal(ds.X, expected.astype(dtype))
    assert ds.y.tolist() == serial.y.tolist() == y.tolist()


def test_whole_number_columns_keep_every_error_message(tmp_path, small_ranges, monkeypatch):
    path = tmp_path / "w.csv"
    for change, expected in [((4500, 1, ""), "1 of 6000 rows"),
                             ((4500, 1, "abc"), "'b': data row 4501 holds 'abc'"),
                             ((4500, 1, "12345678901234567890"), "beyond 2\\*\\*53"),
                             ((4500, 1, "5,6"), "line 4502 has 5 fields")]:
        _write_whole(path, change=change)
        with pytest.raises(DataError, match=expected) as parallel:
            load(path)
        with pytest.raises(DataError) as serial:
            _serial(monkeypatch, path)
        assert str(parallel.value) == str(serial.value)


@pytest.mark.parametrize("first", ["flag", "n", "a"])  # which kind of column comes first
def test_true_false_columns_are_read_as_one_and_zero_in_ranges_and_alone(
        tmp_path, small_ranges, monkeypatch, first):
    """A bool column as pandas writes it (True/False) beside whole-number columns (parsed as
    integers in the ranges) and float columns: the same numbers as pandas reads, both ways."""
    import pandas as pd

    rng = np.random.default_rng(1)
    rows = 5000
    frame = pd.DataFrame({"n": rng.integers(0, 90, rows), "flag": rng.random(rows) > 0.4,
                          "a": np.round(rng.normal(size=rows), 4),
                          "label": np.where(rng.random(rows) > 0.5, "up", "down")})
    order = [first] + [c for c in ("n", "flag", "a") if c != first] + ["label"]
    for columns, name in ((order, "mixed.csv"), ([c for c in order if c != "a"], "ints.csv")):
        path = tmp_path / name
        frame[columns].to_csv(path, index=False)
        assert "True" in path.read_text()[:200]
        expected = pd.read_csv(path)
        features = [c for c in columns if c != "label"]
        for ds in (load(path, dtype=np.float32), _serial(monkeypatch, path)):
            assert ds.feature_names == features
            np.testing.assert_array_equal(
                ds.X, expected[features].to_numpy(float).astype(ds.X.dtype))
    assert small_ranges and min(small_ranges) > 4

"""Reading data: embedded data sets, CSV/TSV and Parquet files, target and task rules, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris

from shallownet import datasets
from shallownet.data import FileSource
from shallownet.datasets import DataError, load


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- embedded data sets
@pytest.mark.parametrize("name, n, d, task, k", [
    ("digits", 1797, 64, "classification", 10),
    ("iris", 150, 4, "classification", 3),
    ("wine", 178, 13, "classification", 3),
    ("breast_cancer", 569, 30, "classification", 2),
    ("diabetes", 442, 10, "regression", None),
])
def test_embedded_data_sets_sizes_and_tasks(name, n, d, task, k):
    ds = load(name)
    assert ds.X.shape == (n, d) and ds.X.dtype == np.float64
    assert ds.y.shape == (n,)
    assert len(ds.feature_names) == d
    assert ds.task == task and ds.name == name
    if k is not None:
        assert len(np.unique(ds.y)) == k


def test_embedded_iris_labels_are_the_species_names_in_scikit_learns_order():
    iris = load_iris()
    ds = load("IRIS")  # names are case-insensitive
    np.testing.assert_array_equal(ds.X, iris.data)
    np.testing.assert_array_equal(ds.y, iris.target_names[iris.target])
    assert ds.feature_names == list(iris.feature_names)


def test_embedded_diabetes_target_is_real_valued():
    np.testing.assert_array_equal(load("diabetes").y, load_diabetes().target)


def test_breast_cancer_accepts_a_dash():
    assert load("breast-cancer").name == "breast_cancer"


def test_unknown_name_lists_the_data_sets():
    with pytest.raises(DataError, match="digits, iris, wine, breast_cancer, diabetes"):
        load("mnist")


def test_a_file_wins_over_a_data_set_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "iris", "a,b\n1,2\n")
    with pytest.raises(DataError, match="unknown file type"):
        load("iris")


# --------------------------------------------------------------------------- CSV
def test_csv_with_named_target_column(tmp_path):
    f = write(tmp_path / "d.csv", "a,b,label\n1,2.5,x\n3,4,y\n5,6,x\n")
    ds = load(f)
    np.testing.assert_array_equal(ds.X, [[1, 2.5], [3, 4], [5, 6]])
    assert list(ds.y) == ["x", "y", "x"]
    assert ds.feature_names == ["a", "b"] and ds.target_name == "label"
    assert ds.task == "classification"
    assert "label" in ds.target_note
    assert ds.name == "d"


def test_csv_default_target_is_last_column_and_says_so(tmp_path):
    f = write(tmp_path / "d.csv", "a,b,price\n1,2,0.5\n3,4,1.25\n5,6,2.75\n")
    ds = load(f)
    assert ds.target_name == "price" and ds.target_note == "the last column"
    assert ds.describe_target() == (
        "target column 'price' (the last column; name another with --target)")
    assert ds.task == "regression" and ds.y.dtype == np.float64


def test_csv_target_option_picks_any_column(tmp_path):
    f = write(tmp_path / "d.csv", "a,b,c\n1,2,3\n4,5,6\n")
    ds = load(f, target="a")
    assert ds.feature_names == ["b", "c"]
    np.testing.assert_array_equal(ds.y, [1, 4])


def test_tsv_and_semicolon_csv(tmp_path):
    t = load(write(tmp_path / "d.tsv", "a\tb\ty\n1\t2\t0\n3\t4\t1\n"))
    np.testing.assert_array_equal(t.X, [[1, 2], [3, 4]])
    s = load(write(tmp_path / "s.csv", "a;b;y\n1;2;0\n3;4;1\n"))
    np.testing.assert_array_equal(s.X, [[1, 2], [3, 4]])


def test_quoted_fields_and_bom(tmp_path):
    f = tmp_path / "q.csv"
    f.write_bytes('\ufeff"a","b","class"\n"1","2","red, dark"\n3,4,blue\n'.encode())
    ds = load(f)
    assert ds.feature_names == ["a", "b"]
    assert list(ds.y) == ["red, dark", "blue"]


@pytest.mark.parametrize("values, task", [
    ("0 1 2 1 0", "classification"),       # few distinct integers
    ("1.0 2.0 1.0 2.0 1.0", "classification"),  # integer-valued floats count as integers
    ("0.5 1.5 2.25 1 0", "regression"),    # fractions
    (" ".join(str(i) for i in range(25)), "regression"),  # more than 20 distinct integers
])
def test_task_detection_rule(tmp_path, values, task):
    vals = values.split()
    f = write(tmp_path / "t.csv", "x,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(vals)))
    ds = load(f)
    assert ds.task == task
    if task == "classification":
        assert ds.y.dtype == np.int64


def test_task_override(tmp_path):
    f = write(tmp_path / "t.csv", "x,y\n1,0\n2,1\n3,2\n")
    ds = load(f, task="regression")
    assert ds.task == "regression" and ds.y.dtype == np.float64
    with pytest.raises(DataError, match="task must be"):
        load(f, task="ranking")


def test_regression_on_text_target_is_refused(tmp_path):
    f = write(tmp_path / "t.csv", "x,y\n1,a\n2,b\n")
    with pytest.raises(DataError, match="not numeric.*classification"):
        load(f, task="regression")


# --------------------------------------------------------------------------- errors
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load(tmp_path / "absent.csv")


def test_unknown_extension(tmp_path):
    with pytest.raises(DataError, match=r"\.csv, \.tsv, \.parquet or \.pq"):
        load(write(tmp_path / "d.xlsx", "x"))


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        load(write(tmp_path / "e.csv", ""))


@pytest.mark.parametrize("text", ["a,b,y\n", "a,b,y", "a,b,y\r\n", "\ufeffa,b,y", "a,b,y\n\n\n"])
def test_header_only(tmp_path, text):
    path = write(tmp_path / "h.csv", text)
    with pytest.raises(DataError, match=r"h.csv has a header but no data rows$"):
        load(path)
    with pytest.raises(DataError, match=r"h.csv has a header but no data rows$"):
        FileSource(path).prepare()


def test_ragged_csv_does_not_parse(tmp_path):
    f = write(tmp_path / "r.csv", "a,b,y\n1,2,0\n3,4\n")
    with pytest.raises(DataError, match="does not parse.*line 3 has 2 fields.*header has 3"):
        load(f)


def test_unterminated_quote_does_not_parse(tmp_path):
    f = write(tmp_path / "q.csv", 'a,b,y\n1,"2,0\n')
    with pytest.raises(DataError, match="does not parse"):
        load(f)


def test_binary_file_is_not_a_csv(tmp_path):
    f = tmp_path / "b.csv"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    with pytest.raises(DataError, match="UTF-8|NUL"):
        load(f)


def test_a_binary_file_named_csv_is_named_for_what_it_is(tmp_path):
    import gzip
    import io as stdio

    import pandas as pd

    frame = pd.DataFrame({"a": [1.0, 2.0], "label": ["x", "y"]})
    f = tmp_path / "d.csv"
    buffer = stdio.BytesIO()
    frame.to_parquet(buffer)
    for content, words in [(buffer.getvalue(), "it is a Parquet file: name it .parquet"),
                           (gzip.compress(b"a,label\n1,x\n2,y\n", mtime=1),
                            "it is gzip-compressed: decompress it first"),
                           (b"PK\x03\x04" + b"\x14" * 40, "it is a zip archive, or an Excel")]:
        f.write_bytes(content)
        with pytest.raises(DataError, match=rf"d.csv is not a text CSV file \({words}"):
            load(f)


def test_headerless_numeric_csv_asks_for_a_header(tmp_path):
    with pytest.raises(DataError, match="add a header row"):
        load(write(tmp_path / "n.csv", "1,2,3\n4,5,6\n"))


def test_duplicate_column_names(tmp_path):
    with pytest.raises(DataError, match="duplicate column names.*'a'"):
        load(write(tmp_path / "d.csv", "a,a,y\n1,2,3\n"))


def test_missing_target_column_lists_the_columns(tmp_path):
    f = write(tmp_path / "d.csv", "height,weight,label\n1,2,0\n")
    with pytest.raises(DataError, match=r"no column 'species'.*'height', 'weight', 'label'"):
        load(f, target="species")


def test_non_numeric_feature_columns_are_named(tmp_path):
    f = write(tmp_path / "d.csv", "a,color,city,y\n1,red,Oslo,0\n2,blue,Rome,1\n")
    with pytest.raises(DataError, match=r"non-numeric feature columns 'color', 'city'.*encode"):
        load(f)


def test_nan_and_inf_in_features_count_rows_and_name_columns(tmp_path):
    f = write(tmp_path / "d.csv", "a,b,c,y\n1,,3,0\n4,5,6,1\n7,inf,NaN,0\n1,2,3,1\n")
    with pytest.raises(DataError, match=r"2 of 4 rows.*'b', 'c'.*drop or impute"):
        load(f)


def test_missing_target_values_are_counted(tmp_path):
    f = write(tmp_path / "d.csv", "a,y\n1,0\n2,\n3,NA\n4,1\n")
    with pytest.raises(DataError, match=r"target column 'y' \(named 'y'; name another "
                                        r"with --target\) has 2 rows.*drop those rows"):
        load(f)


def test_no_feature_columns(tmp_path):
    with pytest.raises(DataError, match="no feature columns"):
        load(write(tmp_path / "d.csv", "y\n1\n2\n"))


# --------------------------------------------------------------------------- model features
def test_features_selected_by_name_and_order_target_ignored(tmp_path):
    f = write(tmp_path / "d.csv", "b,extra,a,label\n2,9,1,0\n4,9,3,1\n")
    ds = load(f, features=["a", "b"], require_target=False)
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    assert ds.y is None
    assert ds.ignored == ["extra", "label"]


def test_features_missing_from_file_are_listed(tmp_path):
    f = write(tmp_path / "d.csv", "a,y\n1,0\n")
    with pytest.raises(DataError, match=r"lacks 2 of the model's 3 feature columns: 'b', 'c'"):
        load(f, features=["a", "b", "c"], require_target=False)


def test_wrong_number_of_features_without_names(tmp_path):
    f = write(tmp_path / "d.csv", "p,q,r\n1,2,3\n")
    with pytest.raises(DataError, match="3 feature columns but the model expects 2"):
        load(f, n_features=2, require_target=False)


def test_target_found_as_the_one_non_feature_column(tmp_path):
    f = write(tmp_path / "d.csv", "a,b,outcome\n1,2,0\n3,4,1\n")
    ds = load(f, features=["a", "b"])
    assert ds.target_name == "outcome"


def test_embedded_with_wrong_features():
    with pytest.raises(DataError, match="trained on iris"):
        load("iris", features=["a", "b", "c", "d"])


# --------------------------------------------------------------------------- Parquet
def test_parquet_with_target_and_nulls(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    t = pa.table({"x1": [1.0, 2.0, 3.0], "x2": [1, 0, 1], "kind": ["a", "b", "a"]})
    pq.write_table(t, tmp_path / "d.parquet")
    ds = load(tmp_path / "d.parquet", target="kind")
    np.testing.assert_array_equal(ds.X, [[1, 1], [2, 0], [3, 1]])
    assert list(ds.y) == ["a", "b", "a"] and ds.task == "classification"

    t2 = pa.table({"x1": [1.0, None, 3.0], "y": [0.5, 1.5, 2.5]})
    pq.write_table(t2, tmp_path / "n.pq")
    with pytest.raises(DataError, match=r"1 of 3 rows.*'x1'"):
        load(tmp_path / "n.pq")


def test_corrupt_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    f = tmp_path / "bad.parquet"
    f.write_bytes(b"this is not parquet")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        load(f)


def test_pyarrow_is_a_core_dependency_not_an_extra():
    import tomllib
    from pathlib import Path

    meta = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert any(d.startswith("pyarrow") for d in meta["project"]["dependencies"])
    assert "parquet" not in meta["project"].get("optional-dependencies", {})


def test_read_table_reports_numeric_and_text_columns(tmp_path):
    t = datasets.read_table(write(tmp_path / "d.csv", "a,b\n1,x\n?,y\n"))
    assert t.names == ["a", "b"] and t.n_rows == 2
    assert t["a"].numeric and np.isnan(t["a"].values[1]) and not t["b"].numeric


# --------------------------------------------------------------------------- review fixes
def test_a_missing_file_is_reported_before_its_type(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such file: .*fruit\.txt"):
        load(tmp_path / "fruit.txt")
    with pytest.raises(FileNotFoundError, match="no such file"):
        datasets.read_table(tmp_path / "fruit.txt")


def test_errors_about_a_guessed_target_say_which_column_and_how(tmp_path):
    f = write(tmp_path / "d.csv", "a,b,id\n1,2,7\n3,4,\n")
    with pytest.raises(DataError, match=r"d\.csv: the target column 'id' \(the last column; "
                                        r"name another with --target\) has 1 row with missing"):
        load(f)
    g = write(tmp_path / "g.csv", "a,label,b\n1,x,2\n3,y,4\n")
    with pytest.raises(DataError, match=r"target column 'label' \(named 'label'; name another "
                                        r"with --target\) is not numeric"):
        load(g, task="regression")


def test_classification_of_fractional_values_points_to_regression(tmp_path):
    f = write(tmp_path / "d.csv", "a,b,price\n1,2,0.5\n3,4,1.25\n5,6,2\n")
    with pytest.raises(DataError, match=r"'price'.*fractional values \(e\.g\. 0\.5, 1\.25\)"
                                        r".*--task regression"):
        load(f, task="classification")
    # whole numbers stay class labels under the override
    g = write(tmp_path / "g.csv", "a,c\n1,1.0\n2,3.0\n")
    assert load(g, task="classification").y.tolist() == [1, 3]


def test_task_applies_to_files_only():
    with pytest.raises(DataError, match="always a classification task.*files only"):
        load("iris", task="regression")
    assert load("iris", task="classification").task == "classification"


def test_drop_leaves_columns_out_of_features_and_target_search(tmp_path):
    f = write(tmp_path / "d.csv", "x1,x2,id\n1,2,100\n3,4,101\n5,6,102\n")
    ds = load(f, target="x1", drop=["id"])
    assert ds.feature_names == ["x2"] and ds.dropped == ["id"] and ds.ignored == []
    np.testing.assert_array_equal(ds.X, [[2], [4], [6]])
    ds = load(f, drop=["id"])  # the last column that is left: x2
    assert ds.target_name == "x2" and ds.feature_names == ["x1"]
    # a model's features are taken by name; a dropped column is neither feature nor target
    ds = load(f, features=["x2", "x1"], drop=["id"], require_target=False)
    np.testing.assert_array_equal(ds.X, [[2, 1], [4, 3], [6, 5]])
    with pytest.raises(DataError, match=r"no column 'zip' to drop; the columns are 'x1'"):
        load(f, drop=["zip"])
    with pytest.raises(DataError, match="both the target and dropped"):
        load(f, target="id", drop=["id"])
    with pytest.raises(DataError, match="uses 'x1' as features; do not drop it"):
        load(f, features=["x1", "x2"], drop=["x1"], require_target=False)


def test_drop_on_an_embedded_data_set_and_selecting_a_models_subset():
    iris = load_iris()
    ds = load("iris", drop=["sepal width (cm)"])
    assert ds.feature_names == [iris.feature_names[j] for j in (0, 2, 3)]
    np.testing.assert_array_equal(ds.X, iris.data[:, [0, 2, 3]])
    ds = load("iris", features=["petal width (cm)", "sepal length (cm)"])
    np.testing.assert_array_equal(ds.X, iris.data[:, [3, 0]])
    with pytest.raises(DataError, match="no feature 'x' to drop"):
        load("iris", drop=["x"])


def test_a_model_target_missing_from_the_file_is_named(tmp_path):
    f = write(tmp_path / "u.csv", "a,b\n1,2\n3,4\n")
    with pytest.raises(DataError) as info:
        load(f, features=["a", "b"], model_target="species")
    text = str(info.value)
    for part in ("no column 'species'", "model's target column", "'a', 'b'", "--target COL",
                 "shallownet predict"):
        assert part in text
    assert "candidates" not in text
    # the model's target is the default where the file has it, even before a 'label' column
    g = write(tmp_path / "g.csv", "a,species,label,b\n1,x,7,2\n3,y,7,4\n")
    ds = load(g, features=["a", "b"], model_target="species")
    assert ds.target_name == "species" and ds.ignored == ["label"]


def test_other_features_are_a_feature_mismatch_not_a_target_question(tmp_path):
    f = write(tmp_path / "o.csv", "p,q,r\n1,2,3\n")
    with pytest.raises(DataError) as info:
        load(f, features=["a", "b"], model_target="y")
    text = str(info.value)
    assert "features do not match the model's" in text
    assert "lacks 2 of the model's 2 feature columns: 'a', 'b'" in text
    assert "does not know: 'p', 'q', 'r'" in text and "target" not in text


def test_dataset_source_is_the_file_as_given(tmp_path):
    f = write(tmp_path / "tiny.csv", "a,y\n1,0\n2,1\n")
    ds = load(f)
    assert ds.source == str(f) and ds.name == "tiny"
    assert ds.summary().startswith(f"{f}: 2 samples")

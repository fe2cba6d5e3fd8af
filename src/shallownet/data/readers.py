"""Reading CSV/TSV and Parquet files with pyarrow, one record batch at a time.

Only regular files (and folders of Parquet files) are data: a FIFO, a device or a socket is
refused before anything is read. The CSV dialect is detected from the first lines: the
delimiter (``,`` ``;`` tab ``|``), a decimal comma in ``;``-separated files (``decimal=","``
forces it), quoting, a byte-order mark and CRLF line ends; empty cells and the usual markers
(``NA``, ``NaN``, ``null``, ``?``, ...) are missing values. Columns are selected before anything
is converted: a dropped column is never parsed.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["DataError", "FileFormat", "open_file", "CSV_SUFFIXES", "PARQUET_SUFFIXES",
           "NULL_VALUES", "ROW_INDEX", "EMPTY_LAST", "is_empty_last"]

CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
PARQUET_SUFFIXES = (".parquet", ".pq")
DELIMITERS = (",", ";", "\t", "|")
#: The line "sep=;" above the header, with which a file tells a spreadsheet its separator.
_SEP_LINE = re.compile(r'\s*"?sep=(.)"?\s*', re.IGNORECASE)
#: Cells read as missing values in CSV files (after the number parser trims blanks).
NULL_VALUES = ["", "NA", "na", "N/A", "n/a", "NaN", "nan", "NAN", "-nan", "null", "NULL", "Null",
               "None", "none", "?", "#N/A"]
_SNIFF_BYTES = 1 << 16
#: CSV files of at least two ranges of this size are parsed on several threads.
_RANGE_BYTES = 4 << 20
#: Ranges parsed or parsing at once (bounds the memory: their text and their tables).
_RANGES_AHEAD = 3
_MIN_BLOCK = 1 << 22
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+([eE][-+]?\d+)?\s*$")
#: The name given to a CSV's unnamed first column when every other column is named: the row
#: labels that pandas (``DataFrame.to_csv``: the index, 0, 1, 2, ... or whatever a split,
#: sample or sort left) and R (``write.csv``: row names) write by default. Never a feature: it
#: is left out, and said, unless asked for by this name. Further unnamed columns before the
#: named ones (a pandas MultiIndex) are "(row index 2)", "(row index 3)", ...
ROW_INDEX = "(row index)"
#: The name given to an unnamed last column that is empty in the first lines: what a separator
#: at the end of every line (some spreadsheet and database exports) makes. It is left out.
#: Several such columns (a spreadsheet exports columns that were formatted once, empty, as
#: ",,," at the end of every line) are "(empty last column)", "(empty last column 2)", ...
EMPTY_LAST = "(empty last column)"


def is_empty_last(name: str) -> bool:
    """Whether ``name`` is one a CSV reader gave an empty unnamed last column."""
    return name == EMPTY_LAST or bool(re.fullmatch(r"\(empty last column \d+\)", name))
#: The names pandas gives a CSV's unnamed columns when it reads them ("Unnamed: 0"): a file
#: read and written again by pandas has its old index under that name, first.
PANDAS_UNNAMED = re.compile(r"Unnamed: \d+(_level_\d+)?")


class DataError(ValueError):
    """Input data that shallownet cannot use; the message names the problem and the fix."""


def columns_list(names, limit: int = 30) -> str:
    """``'a', 'b', ... (40 in all)`` for messages."""
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_path(path: Path) -> str:
    """``"csv"``, ``"parquet"`` or ``"parquet-dir"``; refuses anything that is not data."""
    try:
        st = os.stat(path)  # follows links: /dev/urandom behind a link is still a device
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}") from None
    if stat.S_ISDIR(st.st_mode):
        if any(p.suffix.lower() in PARQUET_SUFFIXES for p in Path(path).rglob("*")
               if p.is_file()):
            return "parquet-dir"
        raise DataError(f"{path} is a directory without Parquet files (.parquet, .pq); give a "
                        "data file, or a folder of Parquet files")
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{path} is {_kind_of(st.st_mode)}, not a data file; only regular files "
                        "(and folders of Parquet files) are read")
    suffix = Path(path).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise DataError(f"cannot read {path}: unknown file type {suffix or '(no extension)'!r}; use "
                    "a .csv, .tsv, .parquet or .pq file")


@dataclass
class FileFormat:
    """An opened data file: its columns and how to read record batches of some of them."""

    path: Path
    kind: str                       # "csv", "parquet" or "parquet-dir"
    names: list[str]
    delimiter: str = ","
    decimal: str = "."
    block_size: int = 1 << 22
    files: tuple = ()               # Parquet: the files, in order
    arrow_types: dict | None = None  # Parquet: column name -> arrow type
    skip_rows: int = 1              # CSV: physical lines up to and including the header
    bool_columns: frozenset = frozenset()  # CSV: columns of True/False words (read as 1/0)
    row_labels: tuple = ()          # columns of row labels, left out: ROW_INDEX, pandas' index
    verbatim: bool = False          # CSV: cells as written ("NA" is text, not missing)
    range_index: dict | None = None  # Parquet: a pandas RangeIndex other than 0, 1, 2, ...

    @property
    def source(self) -> str:
        return str(self.path)

    # ------------------------------------------------------------------ reading
    def batches(self, columns: list[str], types: dict | None = None,
                batch_rows: int | None = None, prepare=None) -> Iterator:
        """Record batches of ``columns`` (in that order) through the whole file.

        CSV columns are converted to ``types`` (name -> arrow type) by the parser itself.
        ``prepare(batch)``, when given, is applied to every batch and its results come out
        instead. On a large CSV file it runs in the threads that parse (see
        :meth:`_parallel_ranges`), and these may then parse a float column whose first rows
        are all whole numbers as int32, which is faster: ``prepare`` must take such columns
        where ``types`` asks for floats (a float written as a whole number is the same number).
        """
        if self.kind == "csv":
            yield from self._csv_batches(columns, types or {}, prepare)
        else:
            for f in self.files:
                for unit in self.parquet_units(f):
                    for batch in self.read_unit(unit, columns, batch_rows):
                        yield batch if prepare is None else prepare(batch)

    def parquet_units(self, file=None) -> list[tuple]:
        """(file, row group) pairs: the pieces a streamed epoch can visit in any order."""
        files = self.files if file is None else (file,)
        units = []
        for f in files:
            with pq.ParquetFile(f) as pf:
                units += [(f, g) for g in range(pf.num_row_groups)]
        return units

    def read_unit(self, unit, columns, batch_rows=None) -> Iterator[pa.RecordBatch]:
        f, group = unit
        try:
            # pre_buffer=False: pyarrow would otherwise buffer whole column chunks ahead
            with pq.ParquetFile(f, pre_buffer=False, buffer_size=1 << 20) as pf:
                yield from pf.iter_batches(batch_size=batch_rows or 65536, row_groups=[group],
                                           columns=columns, use_threads=True)
        except (pa.ArrowException, OSError) as e:
            raise DataError(f"{f} is not a readable Parquet file: {_arrow_message(e)}") from None

    def _csv_batches(self, columns, types, prepare=None) -> Iterator:
        ranges = self._parallel_ranges(columns, types)
        if ranges:
            yield from self._csv_batches_parallel(columns, types, ranges, prepare)
            return
        invalid = []
        reader = None
        try:
            reader = pacsv.open_csv(
                self.path, read_options=pacsv.ReadOptions(
                    block_size=self.block_size, column_names=self.names,
                    skip_rows=self.skip_rows),
                parse_options=self._parse_options(invalid),
                convert_options=self._convert_options(columns, types))
            for batch in reader:
                yield batch if prepare is None else prepare(batch)
        except pa.ArrowInvalid as e:
            raise self._csv_error(e, invalid) from None
        finally:
            # stop the reader's read-ahead thread now, not at interpreter exit (a reader left
            # open there can end the process with 'terminate called without an active
            # exception')
            if reader is not None:
                reader.close()

    def _parse_options(self, invalid: list) -> pacsv.ParseOptions:
        """The dialect; a ragged row is recorded in ``invalid`` and stops the read."""
        def on_invalid(row):
            invalid.append(row)
            return "error"

        return pacsv.ParseOptions(delimiter=self.delimiter, invalid_row_handler=on_invalid)

    def _convert_options(self, columns, types) -> pacsv.ConvertOptions:
        if self.verbatim:  # text as written: no cell is read as missing
            return pacsv.ConvertOptions(include_columns=list(columns), column_types=types,
                                        null_values=[], strings_can_be_null=False,
                                        quoted_strings_can_be_null=False)
        return pacsv.ConvertOptions(
            include_columns=list(columns), column_types=types, null_values=NULL_VALUES,
            strings_can_be_null=True, quoted_strings_can_be_null=True,
            decimal_point=self.decimal)

    def _parallel_ranges(self, columns, types) -> list[tuple[int, int]]:
        """Byte ranges of the data rows, cut at line ends, for parsing on several threads.

        pyarrow's streaming CSV reader parses on one thread. A file of at least two ranges,
        every column typed up front (so each range converts alike) and a plain header line is
        cut into ranges of ``_RANGE_BYTES`` or more that end at a newline; each is parsed on
        its own and the batches come out in file order. Cutting at newlines is what pyarrow's
        own block splitting does (values with newlines inside quotes are not read either way).
        Returns ``[]`` when the file should be read serially.
        """
        if pa.cpu_count() < 2 or not set(columns) <= set(types or ()):
            return []
        size = self.path.stat().st_size
        step = max(_RANGE_BYTES, self.block_size)  # wide files: ranges of many rows too
        if size < 2 * step:
            return []
        with open(self.path, "rb") as f:
            header = f.readline(step).removeprefix(b"\xef\xbb\xbf")
            if self.skip_rows == 2 and _SEP_LINE.fullmatch(header.decode("utf-8", "replace")):
                header = f.readline(step)  # below the line "sep=;"
            start = f.tell()
            if not header.endswith(b"\n") or b'"' in header or not header.strip():
                return []  # a quoted or blank first line: pyarrow's own reader decides
            cuts = [start]
            while cuts[-1] < size:
                f.seek(min(cuts[-1] + step, size))
                f.readline()  # to the end of the line the step lands in
                cuts.append(min(f.tell(), size))
        return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]

    def _csv_batches_parallel(self, columns, types, ranges, prepare=None) -> Iterator:
        from concurrent.futures import ThreadPoolExecutor

        convert = self._convert_options(columns, types)
        whole, narrow = self._whole_number_columns(columns, types, ranges[0]) if prepare \
            else ([], None)
        # the float columns parsed as integers: int16 where the first lines are small (with
        # room to spare), else int32; a range that shows otherwise (a float or a larger
        # number far down) is parsed again one step wider, and so is every range after it
        levels = [self._convert_options(columns, {**types, **{c: t for c in whole}})
                  for t in ([narrow] if narrow == pa.int16() else []) + [pa.int32()]
                  if whole] + [None]
        level = [0]

        def parse(a, b, invalid):
            # read into an Arrow buffer, not mapped: mapped pages of a file larger than memory
            # would stay in this process's resident set once touched
            with pa.OSFile(str(self.path)) as f:
                f.seek(a)
                data = f.read_buffer(b - a)

            def read(options, invalid):
                return pacsv.read_csv(
                    pa.BufferReader(data),
                    read_options=pacsv.ReadOptions(column_names=self.names, use_threads=False,
                                                   block_size=b - a + 1),
                    parse_options=self._parse_options(invalid), convert_options=options)

            table = None
            while table is None and levels[level[0]] is not None:
                tried = level[0]
                try:
                    table = read(levels[tried], [])
                except pa.ArrowInvalid:
                    level[0] = max(level[0], tried + 1)
            if table is None:
                table = read(convert, invalid)
            if prepare is None:
                return table.to_batches()
            return [prepare(batch) for batch in table.to_batches()]

        pool = ThreadPoolExecutor(min(pa.cpu_count(), _RANGES_AHEAD),
                                  thread_name_prefix="shallownet-csv")
        pending = []
        try:
            for a, b in ranges:  # at most _RANGES_AHEAD parsed or parsing, the oldest first
                rows = []
                pending.append((pool.submit(parse, a, b, rows), rows))
                if len(pending) < _RANGES_AHEAD:
                    continue
                yield from self._range_batches(*pending.pop(0))
            while pending:
                yield from self._range_batches(*pending.pop(0))
        finally:
            for future, _ in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def _whole_number_columns(self, columns, types, first: tuple[int, int]):
        """``(names, type)``: the float-typed ``columns``, when all of them hold only whole
        numbers in the first lines (at most 16 and 64 KiB; pyarrow infers int64 for them),
        and the integer type to parse them as: int16 when every value is within 2**13 (room
        to spare), else int32. ``([], None)`` otherwise: a file of whole numbers and floats
        is parsed as floats, which is faster than converting integer columns one by one. A
        small sample is enough: a column that holds other numbers further down costs one range
        parsed again, one type wider."""
        candidates = [c for c in columns if pa.types.is_floating(types.get(c, pa.null()))]
        if not candidates:
            return [], None
        a, b = first
        with open(self.path, "rb") as f:
            f.seek(a)
            head = f.read(min(b - a, _SNIFF_BYTES))
        head = b"".join(head.splitlines(keepends=True)[:16])
        head = head[:head.rfind(b"\n") + 1]
        if not head:
            return [], None
        try:
            sample = pacsv.read_csv(
                pa.BufferReader(head),
                read_options=pacsv.ReadOptions(column_names=self.names, use_threads=False),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter),
                convert_options=pacsv.ConvertOptions(
                    include_columns=candidates, null_values=NULL_VALUES,
                    strings_can_be_null=True, decimal_point=self.decimal))
        except pa.ArrowException:
            return [], None  # the real parse says what is wrong
        if not sample.num_rows or not all(pa.types.is_integer(t) for t in sample.schema.types):
            return [], None  # (a column without a value in the sample is not inferred int)
        values = sample.combine_chunks().to_batches()[0].to_tensor(null_to_nan=True)
        with np.errstate(invalid="ignore"):
            largest = float(np.nanmax(np.abs(np.asarray(values))))
        if not largest < 2 ** 31:
            return [], None
        return candidates, pa.int16() if largest <= 2 ** 13 else pa.int32()

    def _range_batches(self, future, rows) -> Iterator:
        try:
            items = future.result()
        except pa.ArrowInvalid as e:
            # a range's row numbers count from the range: find the line in the file instead
            raise self._csv_error(e, [_Unnumbered(r.text, r.actual_columns, r.expected_columns)
                                      for r in rows]) from None
        yield from items

    def _csv_error(self, e, invalid) -> DataError:
        if invalid:
            row = invalid[0]
            number = row.number if row.number is not None else self._line_of(row.text)
            where = f"line {number}" if number is not None else "a line"
            return DataError(
                f"{self.path} does not parse as CSV: {where} has {row.actual_columns} fields but "
                f"the header has {row.expected_columns}; fix that line (a missing or extra "
                "separator?)")
        text = _arrow_message(e)
        m = re.search(r"CSV column #(\d+).*conversion error to (\w+): invalid value '(.*)'", text)
        if m:  # callers catch this one and explain it (column names, decimal commas)
            return _ConversionError(text, int(m.group(1)), m.group(3))
        if "UTF8" in text or "utf8" in text.lower():
            return DataError(f"{self.path} is not a UTF-8 text file ({text}); save it as UTF-8 "
                             "CSV")
        return DataError(f"{self.path} does not parse as CSV ({text}); check its quoting and "
                         "separators")

    def _line_of(self, text: str) -> int | None:
        """The physical line of the file that holds ``text`` (an error path only)."""
        with open(self.path, encoding="utf-8-sig", errors="replace", newline="") as f:
            for number, line in enumerate(f, 1):
                if line.rstrip("\r\n") == text.rstrip("\r\n"):
                    return number
        return None

    def read_all(self, columns, types=None) -> pa.Table:
        """The whole of ``columns`` as one table (for small pieces: labels, error checks)."""
        if self.kind == "csv":
            batches = list(self.batches(columns, types))
            schema = batches[0].schema if batches else None
            return pa.Table.from_batches(batches, schema=schema) if batches else \
                pa.table({c: pa.array([], pa.string()) for c in columns})
        return pa.Table.from_batches(list(self.batches(columns)),
                                     schema=pa.schema([(c, self.arrow_types[c]) for c in columns]))

    def count_rows(self) -> int | None:
        """Rows of a Parquet data set from its footers; None for CSV (known after a pass)."""
        if self.kind == "csv":
            return None
        total = 0
        for f in self.files:
            with pq.ParquetFile(f) as pf:
                total += pf.metadata.num_rows
        return total


@dataclass
class _Unnumbered:
    """An invalid CSV row seen in a range: its line number in the file is looked up."""

    text: str
    actual_columns: int
    expected_columns: int
    number: None = None


class _ConversionError(DataError):
    """A CSV cell that the parser could not convert to the column's type."""

    def __init__(self, text, column_index, value):
        super().__init__(text)
        self.column_index = column_index
        self.value = value


def _arrow_message(e: BaseException) -> str:
    return " ".join(str(e).split())


def looks_like_decimal_comma(values) -> bool:
    """True when text cells read like numbers written with a decimal comma (``5,1``)."""
    values = [v for v in values if v is not None and str(v).strip()]
    return bool(values) and all(_DECIMAL_COMMA.match(str(v)) for v in values)


# ---------------------------------------------------------------------------------- opening
def open_file(path, decimal: str | None = None) -> FileFormat:
    """Check ``path`` and read what it holds: column names, CSV dialect or Parquet schema."""
    path = Path(path)
    kind = check_path(path)
    if decimal not in (None, ".", ","):
        raise DataError(f"decimal must be '.' or ',', got {decimal!r}")
    if kind == "csv":
        return _open_csv(path, decimal)
    return _open_parquet(path, kind)


def _head(path: Path) -> bytes:
    """The start of the file: at least 64 KiB and the header plus two more lines if possible."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
        while head.count(b"\n") < 3 and len(head) < (1 << 28):
            more = f.read(max(len(head), _SNIFF_BYTES))
            if not more:
                break
            head += more
    return head


def _open_csv(path: Path, decimal: str | None) -> FileFormat:
    head = _head(path)
    if not head.strip():
        raise DataError(f"{path} is empty: it needs a header row and at least one data row")
    if _binary_kind(head):
        raise DataError(f"{path} is not a text CSV file{_binary_kind(head)}")
    if b"\x00" in head:
        raise DataError(f"{path} contains NUL bytes: it is not a text CSV file")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not merely a character cut at the end of the sample
            raise DataError(f"{path} is not a UTF-8 text file (byte {e.start} cannot be "
                            "decoded); save it as UTF-8 CSV") from None
        text = head[:e.start].decode("utf-8-sig")
    physical = text.splitlines(keepends=True)
    first = next((i for i, ln in enumerate(physical) if ln.strip()), len(physical))
    # "sep=;" on the first line names the separator for a spreadsheet: taken, and skipped
    told = _SEP_LINE.fullmatch(physical[first]) if first < len(physical) else None
    if told:
        first = next((i for i, ln in enumerate(physical) if i > first and ln.strip()),
                     len(physical))
    # the header record: one line, or several when a quoted name holds a line break (a wrapped
    # header cell of a spreadsheet); its lines are joined for the checks below
    span = _header_lines(physical[first:])
    lines = ["".join(physical[first:first + span]).rstrip("\r\n")] + \
        [ln for ln in physical[first + span:] if ln.strip()]
    lines = [ln.rstrip("\r\n") for ln in lines] if lines[0].strip() else []
    if not lines:
        raise DataError(f"{path} has no header row and no data, only empty fields")
    if len(lines) == 1 and len(head) == path.stat().st_size:  # the whole file: one line
        raise DataError(f"{path} has a header but no data rows")
    delimiter = CSV_SUFFIXES[path.suffix.lower()]
    if told:
        delimiter = told.group(1)
    elif delimiter == ",":
        counts = {d: _count_outside_quotes(lines[0], d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        delimiter = best if counts[best] > 0 else ","
    # the header row by the standard library's csv module: pyarrow would build (and infer a
    # type for) an empty column per name, about 30 us each -- 3 s for 100,000 columns
    header = lines[0]
    try:
        names = next(csv.reader(io.StringIO(header, newline=""), delimiter=delimiter,
                                strict=True))
    except csv.Error as e:
        raise DataError(f"{path} does not parse as CSV (header row: {e}); check its quoting "
                        "and separators") from None
    names = [n.strip() for n in names]
    # a separator at the end of every line: an unnamed last column, empty in the first lines
    # (or several, where a spreadsheet exported empty columns: ",,," at the end of each line)
    trailing = 0
    if EMPTY_LAST not in names:
        trailing = next((k for k in range(len(names) - 1, 0, -1) if not any(names[-k:])), 0)
        while trailing and not _empty_last(lines[1:17], delimiter, trailing):
            trailing -= 1
    core = len(names) - trailing
    # unnamed columns first (a MultiIndex writes one per level), or pandas' own names for them
    # once read back and written again ("Unnamed: 0"): row labels
    lead = next((i for i, n in enumerate(names[:core]) if n and not PANDAS_UNNAMED.fullmatch(n)),
                core)
    if 0 < lead < core and all(names[lead:core]) and not any(
            n.startswith(ROW_INDEX[:-1]) for n in names):
        blanks = [k for k in range(lead) if not names[k]]
        for rank, k in enumerate(blanks):
            names[k] = ROW_INDEX if rank == 0 else f"{ROW_INDEX[:-1]} {rank + 1})"
    else:
        lead = 0
    if trailing and all(names[:-trailing]):
        names[-trailing:] = [EMPTY_LAST] + [f"{EMPTY_LAST[:-1]} {k})"
                                            for k in range(2, trailing + 1)]
    _check_header(path, names)
    if decimal is None:
        decimal = "."
        if delimiter == ";":
            cells = [c.strip().strip('"') for ln in lines[1:50] for c in ln.split(";")]
            if any(_DECIMAL_COMMA.match(c) for c in cells):
                decimal = ","
    row = max(len(ln.encode()) for ln in lines[:3])
    # pyarrow makes one chunk per column per block: with a fixed block size the chunks of a
    # wide file grow as rows x columns^2 / block. Blocks of about 1,024 rows (4 to 32 MiB)
    # keep the work per cell flat as columns grow (measured to 100,000 columns)
    block = int(min(32 << 20, max(_MIN_BLOCK, 1024 * row, 8 * row)))
    # the names are given to pyarrow (as read here, trimmed: "a, b" names a column 'b'), so it
    # skips the header and any blank lines above it
    skip = first + span
    return FileFormat(path, "csv", names, delimiter, decimal, block, skip_rows=skip,
                      bool_columns=_boolean_columns(lines[1:17], delimiter, names),
                      row_labels=tuple(names[:lead]))


#: The words pyarrow's CSV parser reads as booleans (its defaults; "1" and "0" too).
BOOL_WORDS = frozenset({"True", "TRUE", "true", "False", "FALSE", "false"})


def _header_lines(physical: list[str]) -> int:
    """How many physical lines the first CSV record spans (1 unless a quoted field holds a
    line break): quotes are counted, as a CSV parser pairs them."""
    quotes = 0
    for k, line in enumerate(physical[:64], 1):
        quotes += line.count('"')
        if quotes % 2 == 0:
            return k
    return 1  # an unclosed quote: the parser says what is wrong


def _binary_kind(head: bytes) -> str:
    """What a binary file named .csv holds, by its first bytes, with the way to read it."""
    if head.startswith(b"PAR1"):
        return " (it is a Parquet file: name it .parquet)"
    if head.startswith(b"\x1f\x8b"):
        return " (it is gzip-compressed: decompress it first, e.g. gunzip)"
    if head.startswith(b"BZh") and head[3:4].isdigit() or head.startswith(b"\xfd7zXZ\x00") \
            or head.startswith(b"(\xb5/\xfd"):
        return " (it is compressed (bzip2, xz or zstd): decompress it first)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return (" (it is UTF-16 text, as some spreadsheet programs save 'Unicode text': save it "
                "as UTF-8 CSV)")
    if head.startswith(b"PK\x03\x04"):
        return (" (it is a zip archive, or an Excel .xlsx workbook: extract it, or save the "
                "sheet as CSV)")
    return ""


def _boolean_columns(lines: list[str], delimiter: str, names: list[str]) -> frozenset:
    """The columns whose cells in these first data lines are all True/False words (as pandas
    writes a bool column), missing cells aside: read as 1/0, like a bool column of a Parquet
    file or of an array given to an estimator. (A quick look at the text first: a wide file
    without such words costs one search.)"""
    if not any(w in ln for ln in lines for w in ("rue", "RUE", "alse", "ALSE")):
        return frozenset()  # (plain substring searches: a wide file's lines are long)
    try:
        rows = [row for row in csv.reader(lines, delimiter=delimiter) if row]
    except csv.Error:
        return frozenset()
    found = set()
    for j, name in enumerate(names):
        # exactly as written: the parser reads " True" as no bool (nor number)
        cells = [row[j] for row in rows if j < len(row)]
        words = [c for c in cells if c and c not in NULL_VALUES]
        if words and all(c in BOOL_WORDS or c in ("0", "1") for c in words) and \
                any(c in BOOL_WORDS for c in words):
            found.add(name)
    return frozenset(found)


def _empty_last(lines: list[str], delimiter: str, k: int = 1) -> bool:
    """Whether these data lines all end with ``k`` empty fields (separators at the end)."""
    try:
        rows = [row for row in csv.reader(lines, delimiter=delimiter) if row]
    except csv.Error:
        return False
    return bool(rows) and all(len(row) > k and not any(c.strip() for c in row[-k:])
                              for row in rows)


def _count_outside_quotes(line: str, delimiter: str) -> int:
    return sum(part.count(delimiter) for part in line.split('"')[::2])


def _check_header(path: Path, names: list[str]) -> None:
    for i, h in enumerate(names):
        if not h:
            raise DataError(f"{path}: column {i + 1} has no name in the header row; name it"
                            + (" (an unnamed last column is left out only when it is empty)"
                               if i == len(names) - 1 else ""))
    seen, dup = set(), []
    for h in names:
        if h in seen and h not in dup:
            dup.append(h)
        seen.add(h)
    if dup:
        raise DataError(f"{path}: duplicate column names in the header: {columns_list(dup)}")
    if all(_is_number(h) for h in names):
        raise DataError(
            f"{path}: the first row ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})"
            " looks like data, not column names; add a header row naming the columns")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _pandas_index_columns(schema) -> list:
    """The ``index_columns`` entry of the ``pandas`` metadata of a Parquet file pandas wrote:
    column names, or descriptions of a RangeIndex kept as metadata; [] for other files."""
    import json

    try:
        index = json.loads((schema.metadata or {}).get(b"pandas", b"{}")).get("index_columns")
    except (ValueError, AttributeError):
        return []
    return index if isinstance(index, list) else []


def _pandas_index(schema, names) -> tuple:
    """The columns that hold a pandas DataFrame's index in a Parquet file pandas wrote
    (``__index_level_0__`` for an unnamed index that is not 0, 1, 2, ..., after a split or a
    sort, say; the index's own name otherwise). pandas reads them back as the index, not as
    data: they are row labels, left out like a CSV's."""
    return tuple(c for c in _pandas_index_columns(schema) if isinstance(c, str) and c in names)


def _range_index(schema, files) -> dict | None:
    """A pandas RangeIndex that does not count 0, 1, 2, ... (``{"name", "start", "step"}``):
    pandas keeps it in a one-file Parquet's metadata, not as a column, and reads it back as
    the index; None otherwise (0, 1, 2, ... is the position itself)."""
    index = _pandas_index_columns(schema)
    if len(files) != 1 or len(index) != 1 or not isinstance(index[0], dict):
        return None
    r = index[0]
    if r.get("kind") != "range" or not all(isinstance(r.get(k), int) for k in ("start", "step")):
        return None
    if r["start"] == 0 and r["step"] == 1:
        return None
    name = r.get("name")
    return {"name": name if isinstance(name, str) else "", "start": r["start"],
            "step": r["step"]}


def _open_parquet(path: Path, kind: str) -> FileFormat:
    if kind == "parquet":
        files = (path,)
    else:
        files = tuple(sorted(p for p in path.rglob("*") if p.is_file()
                             and p.suffix.lower() in PARQUET_SUFFIXES))
    schema = None
    for f in files:
        try:
            s = pq.read_schema(f)
        except (pa.ArrowException, OSError) as e:
            raise DataError(f"{f} is not a readable Parquet file: {_arrow_message(e)}") from None
        if schema is None:
            schema = s
        elif s.names != schema.names:
            raise DataError(f"{f} has other columns than {files[0]} ({columns_list(s.names, 5)} "
                            f"against {columns_list(schema.names, 5)}); the files of one data "
                            "set need the same columns")
    names = [str(n) for n in schema.names]
    if not names:
        raise DataError(f"{path} is empty: it has no columns")
    seen = {n for n, k in Counter(names).items() if k > 1}  # not names.count: quadratic
    if seen:
        raise DataError(f"{path}: duplicate column names: {columns_list(sorted(seen))}")
    fmt = FileFormat(path, kind, names, files=files,
                     arrow_types={n: schema.field(n).type for n in names},
                     row_labels=_pandas_index(schema, names),
                     range_index=_range_index(schema, files))
    if fmt.count_rows() == 0:
        raise DataError(f"{path} has columns but no rows")
    return fmt

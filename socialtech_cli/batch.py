"""Batch labelling of a file of organisations: streaming, every row kept in order, atomic output.

Input: CSV/TSV (delimiter sniffed), JSON Lines or plain text (one description a line), from a path
or stdin. Output: CSV/TSV or JSON Lines with every input column plus the label columns, written to
a temporary file beside the output and renamed at the end. Rows go through the same vectorised
`Classifier.classify_many` as everything else, chunk by chunk, so memory stays flat; `jobs > 1`
forks workers that inherit the loaded classifier (nothing is re-imported or re-loaded) and keeps
the output byte for byte identical to one job.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .classify import Classifier, Label, _gc_paused
from .errors import InputError, SocialtechError
from .io import detect_encoding, looks_binary, open_check

# Header names that usually hold an organisation's description, best first (folded, no accents).
TEXT_COLUMN_GUESSES = (
    "description", "descriptions", "desc", "text", "texte", "objet", "objet social", "object",
    "activity", "activities", "activite", "activites", "about", "summary", "resume", "presentation",
    "mission", "bio", "content", "contenu", "details",
)  # fmt: skip
LABEL_COLUMNS = ("category", "name", "confidence", "runner_up", "uncertain", "decided_by", "rules",
                 "explanation", "error")  # fmt: skip
FORMATS = ("csv", "tsv", "jsonl", "txt")
CHUNK = 4096
CSV_FIELD_LIMIT = 1 << 28  # a 1 MB cell is fine; the csv module's default limit is 128 kB


# -- reading -----------------------------------------------------------------------------------------


class CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts the bytes read, for a progress bar in bytes."""

    def __init__(self, raw: IO[bytes], prefix: bytes = b"") -> None:
        self.raw = raw
        self.prefix = prefix
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self.prefix:
            n = min(len(b), len(self.prefix))
            b[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
        else:
            data = self.raw.read(len(b))
            n = len(data)
            b[:n] = data
        self.count += n
        return n


@dataclass
class Source:
    """An opened input: its format, columns and a record iterator (lists of cells or dicts)."""

    name: str
    fmt: str
    columns: list[str]
    records: Iterator[Any]
    counter: CountingReader
    size: int | None  # bytes, when known
    encoding: str
    delimiter: str = ","
    ragged: int = 0


def _format_from_name(name: str) -> str | None:
    suffix = Path(name).suffix.lower()
    return {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".json": "jsonl", ".txt": "txt"}.get(suffix)  # fmt: skip


def open_source(
    path: str,
    fmt: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Source:
    """Open INPUT ('-' for stdin), sniff what is not given, and fail early on unusable input."""
    if path == "-":
        raw: IO[bytes] = sys.stdin.buffer
        name, size = "<stdin>", None
    else:
        p = Path(path)
        open_check(p)
        try:
            raw = open(p, "rb")  # noqa: SIM115 - closed by the caller through Source.counter
        except OSError as e:
            raise InputError(f"cannot read: {e.strerror or e}", path=path) from None
        name, size = path, p.stat().st_size
    head = raw.read(1 << 20)
    if not head.strip():
        raise InputError("the input is empty", path=name)
    if looks_binary(head[:65536]):
        raise InputError("looks like a binary file, not CSV, JSON Lines or text", path=name)
    enc = encoding or detect_encoding(head)
    try:
        "".encode(enc)
    except LookupError:
        raise InputError(f"unknown encoding {enc!r}") from None
    counter = CountingReader(raw, head)
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 16), encoding=enc, newline="")
    fmt = fmt or _format_from_name(name) or _sniff_format(head)
    if fmt == "jsonl":
        return _jsonl_source(name, text, counter, size, enc)
    if fmt == "txt":
        return _txt_source(name, text, counter, size, enc)
    if delimiter is None:
        delimiter = "\t" if fmt == "tsv" else _sniff_delimiter(head, enc)
    return _csv_source(name, text, counter, size, enc, delimiter)


def _sniff_format(head: bytes) -> str:
    first = head.lstrip()[:1]
    if first == b"{":
        return "jsonl"
    line = head.split(b"\n", 1)[0]
    return "csv" if any(d in line for d in (b",", b";", b"\t", b"|")) else "txt"


def _sniff_delimiter(head: bytes, encoding: str) -> str:
    # A few lines are enough, and csv.Sniffer's regexes get slow on large samples.
    sample = head[:8192].decode(encoding, errors="replace").rsplit("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        line = sample.split("\n", 1)[0]
        return max(",;\t|", key=line.count)


def _csv_source(
    name: str, text: IO[str], counter: CountingReader, size: int | None, enc: str, delimiter: str
) -> Source:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the input is empty", path=name) from None
    except (csv.Error, UnicodeDecodeError) as e:
        raise _read_error(name, e, 1) from None
    header = [h.strip() for h in header]
    if not any(header):
        raise InputError("the first line (the header) is empty", path=name)
    columns = [h or f"column_{i + 1}" for i, h in enumerate(header)]
    src = Source(
        name, "csv" if delimiter != "\t" else "tsv", columns, iter(()), counter, size, enc, delimiter
    )

    def records() -> Iterator[list[str]]:
        n = len(columns)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as e:
                raise _read_error(name, e, reader.line_num) from None
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line is not a record
            if len(row) < n:
                src.ragged += 1
                row = row + [""] * (n - len(row))
            elif len(row) > n:
                # Surplus cells usually come from an unquoted delimiter in the last field: keep them
                # there, joined back with the delimiter, so no data is lost.
                src.ragged += 1
                row = [*row[: n - 1], delimiter.join(row[n - 1 :])]
            yield row

    src.records = records()
    return src


def _jsonl_source(name: str, text: IO[str], counter: CountingReader, size: int | None, enc: str) -> Source:
    lines = _lines(name, text)
    columns: list[str] = []
    first: list[tuple[int, Any]] = []
    for lineno, line in lines:
        obj = _parse_json_line(line)
        first.append((lineno, obj))
        if isinstance(obj, dict):
            columns = [str(k) for k in obj]
            break
    if not columns:
        raise InputError("no JSON object found: JSON Lines input needs one object per line", path=name)

    def records() -> Iterator[Any]:
        for _, obj in first:
            yield obj
        for _, line in lines:
            yield _parse_json_line(line)

    return Source(name, "jsonl", columns, records(), counter, size, enc)


def _parse_json_line(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as e:
        return BadLine(line, f"invalid JSON ({e.msg} at column {e.colno})")
    except (ValueError, RecursionError):  # e.g. nesting too deep for the parser
        return BadLine(line, "invalid JSON (cannot be parsed)")


@dataclass
class BadLine:
    """A JSON Lines line that is not an object: kept in the output with an error."""

    raw: str
    reason: str


def _txt_source(name: str, text: IO[str], counter: CountingReader, size: int | None, enc: str) -> Source:
    def records() -> Iterator[list[str]]:
        for lineno, line in _lines(name, text):
            yield [str(lineno), line]

    return Source(name, "txt", ["line", "text"], records(), counter, size, enc)


def _lines(name: str, text: IO[str]) -> Iterator[tuple[int, str]]:
    lineno = 0
    while True:
        try:
            line = text.readline()
        except UnicodeDecodeError as e:
            raise _read_error(name, e, lineno + 1) from None
        if not line:
            return
        lineno += 1
        line = line.rstrip("\r\n")
        if line.strip():
            yield lineno, line


def _read_error(name: str, e: Exception, line: int) -> InputError:
    if isinstance(e, UnicodeDecodeError):
        # The reader decodes ahead of the parser, so `line` can be tens of lines early: find the
        # exact line again in the file (stdin cannot be re-read: say "near").
        exact = _undecodable_line(name, e.encoding)
        where = f"line {exact}" if exact else f"near line {line}"
        return InputError(
            f"{where}: invalid {e.encoding} byte {e.object[e.start : e.start + 1]!r}; "
            "rerun with --encoding cp1252 (or the file's real encoding)",
            path=name,
        )
    return InputError(f"line {line}: malformed CSV ({e})", path=name)


def _undecodable_line(name: str, encoding: str) -> int | None:
    """The physical line holding the first byte that does not decode, or None (stdin, unreadable,
    or nothing wrong found)."""
    if name == "<stdin>":
        return None
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(name, "rb") as f:
            for n, raw in enumerate(f, 1):
                try:
                    decoder.decode(raw)
                except UnicodeDecodeError:
                    return n
    except OSError:
        return None
    return None


def pick_text_columns(columns: list[str], requested: list[str] | None) -> tuple[list[str], bool]:
    """The text columns to classify, and whether they were guessed."""
    if requested:
        missing = [c for c in requested if c not in columns]
        if missing:
            raise InputError(
                f"no column {', '.join(map(repr, missing))}; the columns are: {', '.join(columns)}"
            )
        return requested, False
    from .text import fold

    folded = {" ".join(fold(w) for w in c.replace("_", " ").split()): c for c in columns}
    for guess in TEXT_COLUMN_GUESSES:
        g = " ".join(fold(w) for w in guess.split())
        if g in folded:
            return [folded[g]], True
    if len(columns) == 1:
        return columns, True
    raise InputError(
        f"cannot tell which column holds the descriptions; pass --text-column NAME (columns: {', '.join(columns)})"
    )


# -- writing -----------------------------------------------------------------------------------------


@dataclass
class Options:
    text_columns: list[str]
    explain: bool = True
    only_uncertain: bool = False
    threshold: float | None = None
    lang: str | None = None


def label_cells(result: Label | InputError, explain: bool) -> list[str]:
    """The label columns of one row, as text (the same for CSV and JSON Lines)."""
    if isinstance(result, InputError):
        return ["", "", "", "", "", "", "", "", result.message]
    expl = ""
    if explain:
        expl = f"words: {', '.join(result.words) or '-'}"
        if result.rules:
            expl += "; rules: " + ", ".join(f'{h.id} ("{h.match}")' for h in result.rules)
    return [
        result.category,
        result.name,
        f"{result.confidence:.4f}",
        result.runner_up,
        "true" if result.uncertain else "false",
        result.decided_by,
        " ".join(h.id for h in result.rules),
        expl,
        "",
    ]


def record_texts(
    records: list[Any], fmt: str, columns: list[str], text_idx: list[int], text_keys: list[str]
) -> list[Any]:
    """The text to classify of each record: its non-empty text columns joined by a space (None for
    a JSON Lines line that is not an object)."""
    out: list[Any] = []
    for rec in records:
        if fmt == "jsonl":
            if not isinstance(rec, dict):
                out.append(None)
                continue
            parts = [rec.get(k) for k in text_keys]
            out.append(" ".join(str(p) for p in parts if p not in (None, "")))
        else:
            out.append(" ".join(rec[i] for i in text_idx if rec[i].strip()))
    return out


def label_chunk(clf: Classifier, texts: list[Any], options: Options) -> list[list[str]]:
    """Label cells for a chunk of texts; None marks a record that is not a JSON object."""
    valid = [t if isinstance(t, str) else "" for t in texts]
    results = clf.label_many(
        valid, lang=options.lang or "en", threshold=options.threshold, explain=options.explain
    )
    cells = []
    for t, r in zip(texts, results, strict=True):
        if t is None:
            r = InputError("the line is not a JSON object")
        cells.append(label_cells(r, options.explain))
    return cells


@dataclass(frozen=True)
class Layout:
    """How records map to output: what one chunk needs, in the parent or in a worker."""

    source_fmt: str
    out_fmt: str
    columns: list[str]
    labels: list[str]
    text_idx: list[int]
    text_keys: list[str]
    extra_col: str | None
    options: Options


@dataclass
class ChunkResult:
    """One chunk, labelled and already encoded for the output, with its counts."""

    text: str
    rows: int = 0
    written: int = 0
    errors: int = 0
    uncertain: int = 0
    per_category: Counter[str] = field(default_factory=Counter)


_I_UNC, _I_ERR = LABEL_COLUMNS.index("uncertain"), LABEL_COLUMNS.index("error")


def process_chunk(clf: Classifier, chunk: list[Any], layout: Layout) -> ChunkResult:
    """Label and encode one chunk: the whole per-row work, the same in one job or many."""
    texts = record_texts(chunk, layout.source_fmt, layout.columns, layout.text_idx, layout.text_keys)
    cells = label_chunk(clf, texts, layout.options)
    res = ChunkResult("", rows=len(chunk))
    kept = []
    only_uncertain = layout.options.only_uncertain
    for rec, lab in zip(chunk, cells, strict=True):
        if lab[_I_ERR]:
            res.errors += 1
        else:
            res.per_category[lab[0]] += 1
            if lab[_I_UNC] == "true":
                res.uncertain += 1
            elif only_uncertain:
                continue
        kept.append((rec, lab))
    res.written = len(kept)
    if layout.out_fmt == "jsonl":
        res.text = "".join(
            json.dumps(_as_object(rec, layout.columns, layout.labels, lab), ensure_ascii=False) + "\n"
            for rec, lab in kept
        )
    else:
        res.text = encode_csv(
            (_as_row(rec, layout.columns, layout.extra_col, lab) for rec, lab in kept), layout.out_fmt
        )
    return res


def encode_csv(rows: Iterable[list[str]], out_fmt: str) -> str:
    """CSV or TSV text for rows. RFC 4180 line ends: with "\n" alone, a cell holding a lone "\r"
    would not be quoted."""
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t" if out_fmt == "tsv" else ",", lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


# A classifier inherited by forked workers: set in the parent before the pool starts.
_WORKER: tuple[Classifier, Layout] | None = None


def _worker_process(chunk: list[Any]) -> ChunkResult:
    assert _WORKER is not None
    return process_chunk(_WORKER[0], chunk, _WORKER[1])


@dataclass
class Summary:
    rows: int = 0
    written: int = 0
    errors: int = 0
    uncertain: int = 0
    ragged: int = 0
    per_category: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    text_columns: list[str] = field(default_factory=list)
    output: str = ""


class Sink:
    """Writes rows to a temporary file beside the output (or to stdout) and commits at the end."""

    def __init__(self, output: str, force: bool, input_path: str) -> None:
        self.output = output
        self.tmp: Path | None = None
        if output == "-":
            self.fh: IO[str] = sys.stdout
        else:
            out = Path(output)
            if input_path != "-" and out.exists() and _same_file(out, Path(input_path)):
                raise SocialtechError("the output is the input file: refusing to overwrite your data")
            if out.is_dir():
                raise SocialtechError(f"{output} is a directory")
            if out.exists() and not force:
                raise SocialtechError(f"{output} already exists: pass --force to replace it")
            if not out.parent.exists():
                raise SocialtechError(f"the folder {out.parent} does not exist")
            fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
            self.tmp = Path(tmp)
            self.fh = open(fd, "w", encoding="utf-8", newline="")  # noqa: SIM115

    def write(self, text: str) -> None:
        self.fh.write(text)

    def commit(self) -> None:
        self.fh.flush()
        if self.tmp is not None:
            os.fsync(self.fh.fileno())
            self.fh.close()
            self.tmp.chmod(0o644)
            os.replace(self.tmp, self.output)
            self.tmp = None

    def abort(self) -> None:
        if self.tmp is not None:
            self.fh.close()
            self.tmp.unlink(missing_ok=True)
            self.tmp = None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def output_format(output: str, fmt: str | None, source_fmt: str) -> str:
    if fmt:
        return fmt
    guessed = _format_from_name(output) if output != "-" else None
    if guessed in ("csv", "tsv", "jsonl"):
        return guessed
    return source_fmt if source_fmt in ("tsv", "jsonl") else "csv"  # like the input when it can


def run(
    clf: Classifier,
    source: Source,
    output: str,
    options: Options,
    out_fmt: str | None = None,
    force: bool = False,
    input_path: str = "-",
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = CHUNK,
) -> Summary:
    """Label every record of `source` into `output`; returns counts. Raises on fatal problems,
    leaving no output file behind."""
    fmt = output_format(output, out_fmt, source.fmt)
    sink = Sink(output, force, input_path)
    summary = Summary(text_columns=options.text_columns, output=output)
    start = time.perf_counter()
    try:
        with _gc_paused():  # rows and cells hold no cycles; see classify._gc_paused
            _run(clf, source, sink, options, fmt, jobs, progress, chunk_size, summary)
        sink.commit()
    except BaseException:
        sink.abort()
        raise
    finally:
        source.counter.raw.close() if source.name != "<stdin>" else None
    summary.ragged = source.ragged
    summary.seconds = time.perf_counter() - start
    return summary


def _label_names(columns: list[str]) -> list[str]:
    # Never shadow an input column: prefix ours when a name is taken.
    taken = set(columns)
    return [f"socialtech_{c}" if c in taken else c for c in LABEL_COLUMNS]


def _chunks(records: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for rec in records:
        chunk.append(rec)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _run(
    clf: Classifier,
    source: Source,
    sink: Sink,
    options: Options,
    fmt: str,
    jobs: int,
    progress: Callable[[int, int], None] | None,
    chunk_size: int,
    summary: Summary,
) -> None:
    columns = source.columns
    layout = Layout(
        source_fmt=source.fmt,
        out_fmt=fmt,
        columns=columns,
        labels=_label_names(columns),
        text_idx=[columns.index(c) for c in options.text_columns] if source.fmt != "jsonl" else [],
        text_keys=options.text_columns,
        extra_col="_extra" if source.fmt == "jsonl" and fmt != "jsonl" else None,
        options=options,
    )
    if fmt != "jsonl":
        sink.write(
            encode_csv([columns + ([layout.extra_col] if layout.extra_col else []) + layout.labels], fmt)
        )
    for res in _processed(clf, _chunks(source.records, chunk_size), layout, jobs):
        sink.write(res.text)
        summary.rows += res.rows
        summary.written += res.written
        summary.errors += res.errors
        summary.uncertain += res.uncertain
        summary.per_category.update(res.per_category)
        if progress is not None:
            progress(summary.rows, source.counter.count)


def _processed(
    clf: Classifier, chunks: Iterator[list[Any]], layout: Layout, jobs: int
) -> Iterator[ChunkResult]:
    if jobs <= 1:
        for chunk in chunks:
            yield process_chunk(clf, chunk, layout)
        return
    first = next(chunks, None)
    if first is None:
        return
    from joblib import Parallel

    global _WORKER
    _WORKER = (clf, layout)
    gc.freeze()  # keep the collector off inherited objects: fewer copy-on-write pages in workers
    # The multiprocessing backend forks workers after the model is loaded, so they inherit it:
    # nothing is re-imported or re-read (loky's fresh workers would re-import scikit-learn).
    # Workers do all the per-row work and send back encoded text; results come back in
    # submission order, so the output is identical to one job.
    try:
        # The pool lives for the whole `with`; each call maps a group of chunks, so only a few
        # groups are in memory (the multiprocessing backend cannot stream results one by one).
        # Three threads overlap: a reader parses the next chunks, a pool thread waits on the
        # workers, and this one writes the previous group's results.
        with Parallel(n_jobs=jobs, backend=_fork_pool_backend(), batch_size=1, pre_dispatch="all") as par:
            chunks = _in_thread(chunks, 4 * jobs, "socialtech-reader")
            # One group ahead: the workers label the next group while this thread writes the last.
            groups = _in_thread(_mapped_groups(par, first, chunks, jobs), 1, "socialtech-pool")
            yield from itertools.chain.from_iterable(groups)
    finally:
        _WORKER = None
        gc.unfreeze()


def _fork_pool_backend() -> Any:
    """joblib's multiprocessing backend on a plain fork pool. The stock one wraps a
    MemmappingPool, whose temporary-folder bookkeeping starts joblib's resource tracker: a fresh
    interpreter that imports joblib (about 0.2 s of CPU) on a core the workers need, for arrays
    this tool never sends."""
    import multiprocessing

    from joblib.parallel import MultiprocessingBackend

    class ForkPoolBackend(MultiprocessingBackend):  # type: ignore[misc]
        def configure(self, n_jobs: int = 1, parallel: Any = None, **kwargs: Any) -> int:
            n_jobs = self.effective_n_jobs(n_jobs)
            self._pool = multiprocessing.get_context("fork").Pool(n_jobs)
            _widen_pipes(self._pool)
            self.parallel = parallel
            return n_jobs

    return ForkPoolBackend()


def _widen_pipes(pool: Any) -> None:
    """A Linux pipe holds 64 kB, so a 4096-row chunk (about 350 kB pickled) crosses to a worker in
    several wake-ups of both processes; in a 1 MB pipe it takes one write. Best effort: the pool's
    queues are private attributes, and other systems keep their default."""
    try:
        import fcntl

        for q in (pool._inqueue, pool._outqueue):
            fcntl.fcntl(q._writer.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


def _mapped_groups(
    par: Any, first: list[Any], chunks: Iterator[list[Any]], jobs: int
) -> Iterator[list[ChunkResult]]:
    """The labelled chunks, one group of chunks per pool call (results of a group come back in
    submission order, all together)."""
    group: list[list[Any]] = []
    size = jobs  # a small first group gets the workers going while the reader catches up
    for chunk in itertools.chain([first], chunks):
        group.append(chunk)
        if len(group) >= size:
            yield _map_group(par, _balanced(group, jobs))
            group, size = [], 4 * jobs
    if group:
        # The last, short group: split its chunks so that every worker gets a share.
        yield _map_group(par, [part for chunk in group for part in _split(chunk, jobs)])


def _balanced(group: list[list[Any]], jobs: int) -> list[list[Any]]:
    """The group's tasks, its last `jobs` chunks cut in `jobs` pieces each: the pool call returns
    when its slowest worker is done, so small tasks at the end keep the others from idling."""
    return group[:-jobs] + [part for chunk in group[-jobs:] for part in _split(chunk, jobs)]


def _in_thread(items: Iterator[Any], ahead: int, name: str) -> Iterator[Any]:
    """The items of `items`, produced by a background thread at most `ahead` in advance (bounded:
    memory stays flat); an error in that thread is raised here, in the caller's thread."""
    import queue
    import threading

    q: queue.Queue[Any] = queue.Queue(maxsize=ahead)
    done = object()

    def produce() -> None:
        try:
            for item in items:
                q.put(item)
            q.put(done)
        except BaseException as e:  # handed over to the consumer
            q.put(e)

    threading.Thread(target=produce, daemon=True, name=name).start()
    while True:
        item = q.get()
        if item is done:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def _split(chunk: list[Any], parts: int) -> list[list[Any]]:
    """A chunk cut into `parts` consecutive pieces (order kept, none empty)."""
    size = -(-len(chunk) // parts)
    return [chunk[i : i + size] for i in range(0, len(chunk), size)]


def _map_group(par: Any, group: list[list[Any]]) -> list[ChunkResult]:
    from joblib import delayed

    return list(par(delayed(_worker_process)(chunk) for chunk in group))


def _as_row(rec: Any, columns: list[str], extra_col: str | None, lab: list[str]) -> list[str]:
    if extra_col is None:
        return [*rec, *lab]
    if isinstance(rec, BadLine):
        return [""] * len(columns) + [rec.raw, *lab[:-1], rec.reason]
    if not isinstance(rec, dict):
        return [""] * len(columns) + [json.dumps(rec, ensure_ascii=False), *lab]
    cells = [_cell(rec.get(c)) for c in columns]
    extra = {k: v for k, v in rec.items() if k not in columns}
    return [*cells, json.dumps(extra, ensure_ascii=False) if extra else "", *lab]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _as_object(rec: Any, columns: list[str], labels: list[str], lab: list[str]) -> dict[str, Any]:
    if isinstance(rec, BadLine):
        obj: dict[str, Any] = {"_raw": rec.raw}
        lab = [*lab[:-1], rec.reason]
    elif isinstance(rec, dict):
        obj = dict(rec)
    elif isinstance(rec, list):
        obj = dict(zip(columns, rec, strict=True))
    else:
        obj = {"_raw": rec}
    for name, value in zip(labels, lab, strict=True):
        if name.endswith("confidence"):
            obj[name] = float(value) if value else None
        elif name.endswith("uncertain"):
            obj[name] = value == "true" if value else None
        else:
            obj[name] = value
    return obj

"""The command line. The only module that imports click; bodies stay thin over the library."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, NoReturn

import click

# Only light modules at import time, so that `--help` answers at once: each command imports
# the pipeline, the FHIR models, the readers or the lexicon it needs in its body.
from . import __version__
from .article_types import SUFFIXES
from .errors import ExitCode, ExportError, InternalError, display
from .options import BundleType, ExportOptions, OutputFormat
from .progress import plural

if TYPE_CHECKING:
    from collections.abc import Callable

    from . import progress, push
    from .report import ArticleResult, ExportReport, Yield


def _epoch() -> int | None:
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if not raw:
        return None
    try:
        seconds = int(raw)
        datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise click.UsageError(
            f"SOURCE_DATE_EPOCH must be whole seconds since 1970 within years 1-9999, not {raw!r}"
        ) from None
    return seconds


def _stdout_gone() -> None:
    """stdout's reader went away (`| head`): point stdout at /dev/null, so that Python's own
    flush at exit does not complain again, and exit OUTPUT_FAILED without a word."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (a test's runner)
        pass
    sys.exit(int(ExitCode.OUTPUT_FAILED))


def _to_stdout(data: bytes) -> None:
    """A document written to stdout (`--out -`): a closed pipe or a full device is the
    output failing (exit 4), not a traceback."""
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_gone()
    except OSError as exc:
        click.echo(f"Error: <stdout>: cannot write ({exc.strerror or exc}).", err=True)
        sys.exit(int(ExitCode.OUTPUT_FAILED))


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # any command's stdout piped into a reader that stopped
            _stdout_gone()
            raise  # not reached


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "FHIR_EXPORT"},
    epilog="Examples:\n\n\b\n  fhir-export export            # source/ -> output/\n"
    "  fhir-export validate output\n"
    "  fhir-export push output --server http://127.0.0.1:8080/fhir\n"
    "  fhir-export preview output    # then open output/review/index.html\n"
    "  fhir-export COMMAND --help    # each command's options and examples",
)
@click.version_option(__version__, prog_name="fhir-export")
def main() -> None:
    """Export patient-education health articles (text, HTML, Markdown, PDF, Word, FDA SPL XML:
    see `export --help`) to FHIR R4 or R5 Bundles."""


class _Release(click.Choice[str]):
    """R4 or R5, in any case ('r4'), shown and passed on as R4 / R5."""

    def __init__(self) -> None:
        super().__init__(["R4", "R5"])

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        text = value.upper() if isinstance(value, str) else value
        return str(super().convert(text, param, ctx))


_RELEASE = _Release()
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def _check_paths(paths: tuple[str, ...]) -> None:
    """A web address or a path that names nothing is a usage error (exit 2), with a hint,
    before anything is read or written."""
    import glob

    for raw in paths:
        if _URL.match(raw):
            raise click.UsageError(
                f"{display(raw)}: fhir-export works offline and reads files, not web addresses; "
                f"save the page first, e.g. curl -o page.html '{display(raw)}'"
            )
        if not os.path.lexists(raw) and not glob.has_magic(raw):
            raise click.UsageError(f"{display(raw)}: no such file or directory")


def _examples(*lines: str) -> str:
    """A command's --help epilog: its examples, one per line, kept as written."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


_REPORTING = "fhir_export.reporting"


def _remember(ctx: click.Context, param: click.Parameter, value: object) -> object:
    ctx.meta.setdefault(_REPORTING, {})[param.name] = value
    return value


def _jobs_option(text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--jobs N: worker processes (None when not given: the command uses the CPU count)."""
    return click.option(
        "--jobs", "jobs", type=click.IntRange(1), default=None, metavar="N", help=text
    )


def _reporting(command: Callable[..., None]) -> Callable[..., None]:
    """-q, --log-format and --progress of a long command (export, validate, push, convert,
    preview); they
    reach the body through the context (see _reporter), not as parameters."""
    for option in reversed((
        click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_remember,
                     help="Print nothing on stderr but errors; export lists no written files "
                     "(validate's issues are still printed)."),
        click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
                     show_default=True, expose_value=False, callback=_remember,
                     help="Lines on stderr as text, or one JSON object per line."),
        click.option("--progress", type=click.Choice(["auto", "always", "never"]),
                     default="auto", show_default=True, envvar="FHIR_EXPORT_PROGRESS",
                     expose_value=False, callback=_remember,
                     help="A progress bar (counts, rate, ETA) on stderr: auto draws it when "
                     "stderr is a terminal, else one line per item as it finishes."),
    )):
        command = option(command)
    return command


def _reporter(noun: str) -> progress.Reporter:
    """The stderr reporter of the running command, as -q, --log-format, --progress ask."""
    from .progress import Reporter, choose_mode

    given = click.get_current_context().meta.get(_REPORTING, {})
    log_format = str(given.get("log_format") or "text")
    mode = choose_mode(str(given.get("progress") or "auto"), bool(given.get("quiet")),
                       log_format, sys.stderr)
    return Reporter(mode=mode, log_format=log_format, noun=noun, err=sys.stderr, out=sys.stdout)


def _interrupted(say: progress.Reporter, done: str) -> NoReturn:
    """Ctrl-C in a command that counts items: the bar ends, one line says what was done."""
    say.close()
    say.message(f"Interrupted: {done}.", error=True)
    sys.exit(int(ExitCode.INTERRUPTED))


def _export_stdin(
    sources: tuple[str, ...], out: str, format: str, merge: bool, options: ExportOptions,
    report: Path | None,
) -> None:
    """`export -`: one article from standard input, to stdout (`--out -`) or into --out."""
    if sources != ("-",):
        raise click.UsageError("- (standard input) is one article: give no other path")
    if merge or format == "ndjson" or (out == "-" and format == "both"):
        raise click.UsageError("- (standard input) writes one article's Bundle: not with "
                               "--merge or --format ndjson (nor both with --out -)")
    from .pipeline import STDIN, export_data, write_report

    name = click.get_current_context().meta.get(_REPORTING, {}).get("name") or _STDIN_NAME
    say = _reporter("article")
    stream = click.get_binary_stream("stdin")
    data = stream.read(options.max_bytes + 1)
    if len(data) > options.max_bytes:
        say.message(f"Error: {STDIN}: over the {options.max_bytes} byte limit. Raise "
                    "--max-bytes.", error=True)
        sys.exit(int(ExitCode.INPUT_FAILED))
    try:
        document, result = export_data(data, name, None if out == "-" else Path(out), options)
        if report is not None:
            write_report(result, report)
    except ExportError as exc:
        say.message(exc.line(), error=True, **exc.fields())
        sys.exit(int(exc.exit_code))
    if out == "-":
        _to_stdout(document)
    lines = _ExportLines(say, verbose=False)
    for article in result.results:
        lines.finished(article)
    for error in result.errors:
        lines.finished(error)
    say.message(result.summary(), counts=result.counts())
    sys.exit(int(result.exit_code))


def _check_encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from .sources.decode import forced_codec

    if forced_codec(value) is None:
        raise click.BadParameter(
            f"{value!r} names no text encoding (use a label such as utf-8, windows-1252, "
            "iso-8859-1, shift_jis, utf-16le)")
    _remember(ctx, param, value)
    return value


def _check_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    parts = PurePath(value).parts
    if PurePath(value).is_absolute() or ".." in parts or not parts:
        raise click.BadParameter("a relative file name such as page.html or a/index.html")
    if PurePath(value).suffix.lower() not in SUFFIXES:
        raise click.BadParameter(f"its suffix says how to read it: one of {', '.join(SUFFIXES)}")
    _remember(ctx, param, value)
    return value


def _input_options(command: Callable[..., None]) -> Callable[..., None]:
    """--encoding and --name of export; they reach the body through the context."""
    command = click.option(
        "--name", default=None, metavar="FILE", expose_value=False, callback=_check_name,
        help=f"The file name of the article read from '-' (stdin): its suffix picks the "
        f"reader and it is the article's identity and output name when it states no URL "
        f"(default: {_STDIN_NAME}).")(command)
    return click.option(
        "--encoding", default=None, metavar="LABEL", expose_value=False,
        callback=_check_encoding,
        help="Read text, HTML and Markdown articles in this encoding (e.g. windows-1252), "
        "whatever their byte order mark or <meta> charset say (default: detected; UTF-8).",
    )(command)


_STDIN_NAME = "stdin.txt"


class _ExportLines:
    """Each article as the run finishes it: its files on stdout, its line (or the bar) on
    stderr, its notes; and what was written so far, for Ctrl-C. Nothing of an article is
    kept once it is told but the names of its files, on disk (a run's memory does not grow
    with its articles)."""

    def __init__(self, say: progress.Reporter, verbose: bool) -> None:
        import weakref

        from .report import ExportReport, RunEvents
        from .spool import Spool

        self.say, self.verbose = say, verbose
        self.told_errors: set[int] = set()  # ids of the errors already printed
        # the results already told, while the run holds them, and how many of their files
        self.told: weakref.WeakValueDictionary[int, ArticleResult] = (
            weakref.WeakValueDictionary())
        self.shown: dict[int, int] = {}
        self.written = Spool()  # the names of the files written, in order
        self.report = ExportReport()  # the run's, for a report of an interrupted run
        self.done = self.failed = 0
        self.events = RunEvents(started=say.start, finished=self.finished)

    def finished(self, item: ArticleResult | ExportError) -> None:
        from .report import article_record, article_text

        if isinstance(item, ExportError):
            self.told_errors.add(id(item))
            self.failed += 1
        else:
            self.done += 1
            if len(self.shown) > 2 * len(self.told) + 16:  # forget the results let go of
                self.shown = {k: n for k, n in self.shown.items() if k in self.told}
            self.told[id(item)] = item
            self.shown[id(item)] = len(item.outputs)
            for written in item.outputs:
                self.written.add(written.encode("utf-8", "surrogateescape"))
                self.say.out(display(written))
        label = display(PurePath(item.path or "").name)
        self.say.item(article_text(item), article_record(item),
                      failed=isinstance(item, ExportError), label=label)
        if not isinstance(item, ExportError):
            self.notes(item)

    def notes(self, article: ArticleResult) -> None:
        shown = display(article.path)
        for note in article.limited:
            self.say.message(f"{shown}: {note}")
        if self.verbose and article.unmapped_texts:
            self.say.message(f"{shown}: unmapped: {'; '.join(article.unmapped_texts)}")
        if self.verbose and article.yielded is not None:
            for line in _nothing_of(article.yielded):
                self.say.message(f"{shown}: {line}")

    def rest(self, result: ExportReport) -> None:
        """The errors, files and notes that no event told (printed after the run)."""
        for error in result.errors:
            if id(error) not in self.told_errors:
                self.say.message(error.line(), error=True, **error.fields())
        for article in result.results:
            told = self.told.get(id(article)) is article
            for written in article.outputs[self.shown[id(article)] if told else 0:]:
                self.say.out(display(written))
            if not told:
                self.notes(article)

    def interrupted(self, out: str, report: Path | None) -> None:
        """Ctrl-C: what was written and where (and --report of the articles finished), 130."""
        from .pipeline import write_report
        from .progress import plural

        if report is not None:
            try:
                write_report(self.report, report)
            except ExportError as exc:
                self.say.message(exc.line(), error=True, **exc.fields())

        written = [display(data.decode("utf-8", "surrogateescape"))
                   for _, data in self.written.records()]
        self.say.close()
        total = f" of {self.say.total}" if self.say.total else ""
        self.say.message(
            f"Interrupted: {self.done + self.failed}{total} "
            f"article{'' if (self.say.total or self.done + self.failed) == 1 else 's'} finished "
            f"({self.done} exported, {self.failed} failed); "
            f"{plural(len(written), 'file')} written into {display(out)} "
            "(listed above); manifest.json not updated. Run the command again to finish.",
            error=True, written=written,
        )
        sys.exit(int(ExitCode.INTERRUPTED))


@main.command(
    "export",
    help="Export articles at PATHS (folders, files or globs; default: source/). Reads "
    f"{', '.join(SUFFIXES)} files; other files in a folder or matched by a glob are listed "
    "as skipped.",
    epilog=_examples(
        "fhir-export export                       # source/ -> output/*.bundle.json",
        "fhir-export export docs/ --out out --format both --report run.json",
        "fhir-export export page.html --out - > page.bundle.json",
        "curl -s URL | fhir-export export - --name page.html --out -",
        "fhir-export export old.txt --encoding windows-1252",
        "fhir-export export source --format ndjson --out bulk   # FHIR Bulk Data",
        "fhir-export export source --html review   # and open review/index.html",
        "fhir-export export source --log-format json 2> run.log",
    ),
)
@click.argument("paths", nargs=-1)
@click.option(
    "--out",
    "out",
    default="output",
    show_default=True,
    help="Output folder, or '-' to write one article's bundle to stdout.",
)
@click.option(
    "--format",
    "format",
    type=click.Choice([f.value for f in OutputFormat], case_sensitive=False),
    default="json",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--bundle-type",
    type=click.Choice([b.value for b in BundleType], case_sensitive=False),
    default="transaction",
    show_default=True,
    help="Bundle.type of every output.",
)
@click.option(
    "--fhir-version",
    "fhir_version",
    type=_RELEASE,
    default="R4",
    show_default=True,
    help="FHIR release of the output: R4 (4.0.1) or R5 (5.0.0; side effects, warnings, "
    "contraindications and indications as ClinicalUseDefinition).",
)
@click.option(
    "--recorded",
    default=None,
    metavar="INSTANT",
    help="Provenance.recorded (e.g. 2025-01-01T00:00:00Z). Default: "
    "SOURCE_DATE_EPOCH, else the article's date.",
)
@click.option(
    "--lexicon",
    "lexicon",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Extra lexicon JSON file (repeatable); entries with the same id replace shipped ones.",
)
@click.option(
    "--max-bytes",
    default=10 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1),
    help="Refuse articles larger than this.",
)
@click.option(
    "--merge",
    is_flag=True,
    help="Corpus mode: one Bundle (corpus.bundle.*) with one MedicationKnowledge per medicine "
    "across all articles, every article kept as a source.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the run's report (JSON) to this file: per article its status, what it "
    "yielded (medicines, facts per kind, screening items, typed sections that gave nothing) "
    "and its unmapped terms.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="List per article on stderr its unmapped terms and what it yielded nothing of.",
)
@_jobs_option(
    "Export articles in N worker processes (1: in this process). Default: the machine's CPU "
    "count. Outputs, lines and report are the same for any N; --merge maps articles in this "
    "process."
)
@click.option(
    "--article-timeout",
    type=click.FloatRange(0),
    default=300,
    show_default=True,
    metavar="SECONDS",
    help="Fail an article that takes longer than this to export (one error line, nothing of "
    "it written; the others go on). 0: no limit.",
)
@click.option(
    "--follow-symlinks",
    is_flag=True,
    help="Follow symlinks below the given paths that lead out of them, and symlinked "
    "folders (default: skipped and listed; a path given on the command line is always read).",
)
@click.option(
    "--html",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Also write the review site of this run into DIR (see the preview command).",
)
@_input_options
@_reporting
def export_command(
    paths: tuple[str, ...],
    out: str,
    format: str,  # the option's name, so that FHIR_EXPORT_EXPORT_FORMAT works
    bundle_type: str,
    fhir_version: str,
    recorded: str | None,
    lexicon: tuple[Path, ...],
    max_bytes: int,
    merge: bool,
    report: Path | None,
    verbose: bool,
    jobs: int | None,
    article_timeout: float,
    follow_symlinks: bool,
    html: Path | None,
) -> None:
    if html is not None and (out == "-" or merge or format == "ndjson"):
        raise click.UsageError("--html reviews per-article Bundles: not with --out -, --merge "
                               "or --format ndjson")
    if recorded is not None and not _is_instant(recorded):
        raise click.BadParameter(
            "must be an instant like 2025-01-01T00:00:00Z", param_hint="--recorded"
        )
    options = ExportOptions(
        bundle_type=BundleType(bundle_type),
        output_format=OutputFormat(format),
        recorded=recorded,
        source_date_epoch=_epoch(),
        max_bytes=max_bytes,
        lexicons=lexicon,
        fhir_version=fhir_version,
        jobs=jobs or os.cpu_count() or 1,
        follow_symlinks=follow_symlinks,
        encoding=click.get_current_context().meta.get(_REPORTING, {}).get("encoding"),
        article_timeout=article_timeout,
    )
    sources = paths or ("source",)
    if "-" in sources:
        if html is not None:
            raise click.UsageError("--html with - (standard input): run `fhir-export preview "
                                   "OUT` on the output folder instead")
        _export_stdin(sources, out, format, merge, options, report)
    _check_paths(sources)
    if merge and out == "-":
        raise click.UsageError("--merge writes a corpus Bundle into a folder: not with --out -")
    from .pipeline import (
        clean_run_lines,
        export,
        export_corpus,
        export_ndjson,
        export_one,
        write_report,
    )

    say = _reporter("article")
    lines = _ExportLines(say, verbose)
    try:
        if out == "-":
            if format in ("both", "ndjson"):
                raise click.UsageError("--out - writes one format: choose json or xml")
            if len(sources) != 1:
                raise click.UsageError("--out - writes exactly one article")
            data, result = export_one(sources[0], options)
            _to_stdout(data)
        elif merge and format == "ndjson":
            raise click.UsageError("--merge writes a Bundle: choose json, xml or both")
        elif merge:
            result = export_corpus(sources, Path(out), options, lines.events, lines.report)
        elif format == "ndjson":
            result = export_ndjson(sources, Path(out), options, lines.events, lines.report)
        else:
            result = export(sources, Path(out), options, lines.events, lines.report)
        if report is not None:
            write_report(result, report)
        if html is not None:
            from .review.site import write_review  # imported only for --html

            bundles = [Path(o) for a in result.results for o in a.outputs]
            review = write_review(Path(out), html, bundles, tuple(e.line() for e in result.errors))
    except ExportError as exc:
        say.close()
        say.message(exc.line(), error=True, **exc.fields())
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        lines.interrupted(out, report)
    lines.rest(result)  # what no event told: a single article, files written at the end
    say.close()
    for passed_over in (result.not_followed_line(), result.skipped_line()):
        if passed_over:
            say.message(passed_over)
    for line in clean_run_lines(result):
        say.message(line)
    empty = result.empty_line()
    if empty:
        say.message(empty, empty=[display(path) for path in result.empty])
    if html is not None:
        say.out(display(review.index))
        say.message(review.summary)
    say.message(result.summary(), counts=result.counts())
    sys.exit(int(result.exit_code))


@main.command("convert", epilog=_examples(
    "fhir-export convert output/a.bundle.json --to xml",
    "fhir-export convert output/*.xml --to json --out converted",
    "fhir-export convert a.bundle.xml --to json --out - | jq .type",
))
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--to", "to", type=click.Choice(["json", "xml"]), required=True, help="The format to write."
)
@click.option(
    "--out",
    "out",
    default=None,
    help="Output folder (default: beside each input), or '-' for stdout (one file).",
)
@click.option(
    "--fhir-version",
    "fhir_version",
    type=_RELEASE,
    default=None,
    help="Read as this release (default: R4, else R5, whichever validates).",
)
@_reporting
def convert_command(
    paths: tuple[str, ...], to: str, out: str | None, fhir_version: str | None
) -> None:
    """Convert FHIR resources or Bundles at PATHS between JSON and XML. The content is
    validated through the FHIR models on the way; XML with a DOCTYPE is refused."""
    from . import convert
    from .pipeline import convert_files

    if out == "-":
        if len(paths) != 1:
            raise click.UsageError("--out - converts exactly one file")
        try:
            data = convert.read_capped(paths[0])
            converted = convert.convert(data, to=to, path=paths[0], fhir_version=fhir_version)
        except ExportError as exc:
            click.echo(exc.line(), err=True)
            sys.exit(int(exc.exit_code))
        except OSError as exc:
            click.echo(f"Error: {display(paths[0])}: cannot read file ({exc.strerror}).", err=True)
            sys.exit(int(ExitCode.INPUT_FAILED))
        except Exception as exc:
            click.echo(InternalError(exc, path=paths[0], stage="convert").line(), err=True)
            sys.exit(int(ExitCode.INTERNAL_ERROR))
        _to_stdout(converted)
        return
    say = _reporter("file")
    say.start(len(paths))

    def finished(raw: str, outcome: ArticleResult | ExportError) -> None:
        shown = display(raw)
        if isinstance(outcome, ExportError):
            say.item(outcome.line(), {"path": shown, "status": "failed",
                                      "error": outcome.fields(), "outputs": []},
                     failed=True, label=shown)
            return
        outputs = [display(written) for written in outcome.outputs]
        for written in outputs:
            say.out(written)
        say.item(f"converted {shown} to {', '.join(outputs)}",
                 {"path": shown, "status": "converted", "error": None, "outputs": outputs},
                 label=shown)

    try:
        result = convert_files(paths, to, Path(out) if out else None, fhir_version, finished)
    except KeyboardInterrupt:
        _interrupted(say, f"{say.done} of {plural(len(paths), 'file')} converted "
                     "(each listed above)")
    say.close()
    say.message(f"{len(result.results)} converted, {len(result.errors)} failed",
                converted=len(result.results), failed=len(result.errors))
    sys.exit(int(result.exit_code))


@main.command("validate", epilog=_examples(
    "fhir-export validate output/a.bundle.json",
    "fhir-export validate output/           # every .json, .xml, .ndjson below it",
    "fhir-export validate bulk/Patient.ndjson --fhir-version R4",
    "fhir-export validate a.json --format operationoutcome > outcome.json",
))
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--fhir-version",
    "fhir_version",
    type=_RELEASE,
    default=None,
    help="Validate as this release (default: detected).",
)
@click.option(
    "--format",
    "format",
    type=click.Choice(["lines", "operationoutcome"]),
    default="lines",
    show_default=True,
    help="One line per issue, or a FHIR OperationOutcome (JSON; several files: a Bundle of "
    "them).",
)
@_jobs_option(
    "Validate files in N worker processes (1: in this process). Default: the machine's CPU "
    "count. Output and exit code are the same for any N."
)
@_reporting
def validate_command(
    paths: tuple[str, ...], fhir_version: str | None, format: str, jobs: int | None
) -> None:
    """Validate FHIR Bundles or resources (JSON or XML, R4 or R5): structure through the
    models, the FHIRPath invariants of the official StructureDefinitions, required-binding
    codes, references inside a bundle, and narrative safety. Exit 1 if any file has an error."""
    say = _reporter("file")
    files = [found for raw in paths for found in _fhir_files(raw)]
    say.start(len(files))
    outcomes: list[tuple[str, dict[str, object]]] = []  # --format operationoutcome, per file
    try:
        failed, crashed = _validate_files(
            files, fhir_version, format, say, outcomes, jobs or os.cpu_count() or 1
        )
    except KeyboardInterrupt:
        _interrupted(say, f"{say.done} of {plural(len(files), 'file')} validated "
                     "(each listed above)")
    say.close()
    if len(files) == 1 and outcomes:
        click.echo(json.dumps(outcomes[0][1], indent=2, ensure_ascii=False))
    elif outcomes:  # several files: one JSON document, a Bundle of their OperationOutcomes
        click.echo(json.dumps(_outcome_bundle(outcomes), indent=2, ensure_ascii=False))
    if crashed:
        sys.exit(int(ExitCode.INTERNAL_ERROR))
    sys.exit(int(ExitCode.INPUT_FAILED if failed else ExitCode.OK))


def _validate_files(
    files: list[str], fhir_version: str | None, format: str, say: progress.Reporter,
    outcomes: list[tuple[str, dict[str, object]]], jobs: int,
) -> tuple[bool, bool]:
    """Validate each file: its issues on stdout (or its OperationOutcome into `outcomes`),
    its line on stderr. Returns (some file has an error, some file hit a bug)."""
    from . import validation
    from .validation.files import check_files

    failed = crashed = False
    for checked in check_files(files, fhir_version, jobs):
        raw = checked.path
        shown = display(raw)
        if checked.error is not None:
            error = checked.error
            say.item(error.line(), {"path": shown, "status": "failed", "error": error.fields()},
                     failed=True, label=shown)
            failed = failed or not isinstance(error, InternalError)
            crashed = crashed or isinstance(error, InternalError)
            continue
        issues = checked.issues
        failed = failed or validation.has_errors(issues)
        if format == "operationoutcome":
            outcomes.append((raw, validation.operation_outcome(issues)))
        else:
            for issue in issues:
                click.echo(issue.line(raw))
        errors = sum(i.severity == "error" for i in issues)
        say.item(
            f"{shown}: {plural(errors, 'error')}, "
            f"{plural(len(issues) - errors, 'other issue')}",
            {"path": shown, "status": "invalid" if errors else "valid", "error": None,
             "errors": errors, "other_issues": len(issues) - errors},
            failed=bool(errors), label=shown,
        )
    return failed, crashed


def _outcome_bundle(outcomes: list[tuple[str, dict[str, object]]]) -> dict[str, object]:
    """A collection Bundle of each file's OperationOutcome, its fullUrl the file's URI."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": Path(raw).resolve().as_uri(), "resource": outcome}
            for raw, outcome in outcomes
        ],
    }


_FHIR_SUFFIXES = (".json", ".xml", ".ndjson")


def _fhir_files(raw: str) -> list[str]:
    """A path given to validate: a file as it is; a folder, its FHIR files below it (.json,
    .xml, .ndjson; not manifest.json, not hidden ones), sorted."""
    if not os.path.isdir(raw):
        return [raw]
    root = Path(raw)
    return sorted(
        str(p) for p in root.rglob("*")
        if p.suffix.lower() in _FHIR_SUFFIXES and p.name != "manifest.json"
        and not any(part.startswith(".") for part in p.relative_to(root).parts) and p.is_file()
    )


@main.command("push", epilog=_examples(
    "fhir-export push output --server http://127.0.0.1:8080/fhir",
    "fhir-export push output --server URL --dry-run",
    "FHIR_EXPORT_TOKEN=... fhir-export push bulk --server https://fhir.example.org/r4",
))
@click.argument("paths", nargs=-1, required=True)
@click.option("--server", required=True, metavar="URL", help="The FHIR server's base URL.")
@click.option(
    "--max-entries",
    "--chunk-size",
    "max_entries",
    default=500,
    show_default=True,
    type=click.IntRange(1),
    help="Entries per request at most. Larger inputs are split into dependency-ordered "
    "requests that keep reference cycles whole; a transaction is split only when all its "
    "entries are PUT Type/id (--chunk-size is the old name).",
)
@click.option(
    "--max-bytes",
    default=None,
    type=click.IntRange(1),
    metavar="N",
    help="Bytes of JSON per request at most, split as --max-entries is. Default: no limit.",
)
@click.option(
    "--concurrency",
    default=4,
    show_default=True,
    type=click.IntRange(1),
    metavar="N",
    help="Requests in flight at most; each waits for the requests that write what it "
    "refers to.",
)
@click.option(
    "--send-as",
    type=click.Choice(["transaction", "batch"]),
    default="transaction",
    show_default=True,
    help="Bundle type of the chunks made from NDJSON, collection and batch inputs (in "
    "dependency order; a reference cycle stays in one chunk). 'batch' (servers without "
    "transactions) sends every input as batches, level by level, so that each reference "
    "exists before its entry arrives; a cycle's first member is written reduced first.",
)
@click.option(
    "--id-mode",
    type=click.Choice(["put", "conditional", "auto"], case_sensitive=False),
    default="put",
    show_default=True,
    help="How entries name what they write: 'put' PUT Type/id (our ids); 'conditional' "
    "PUT Type?identifier=system|value, for servers that assign ids themselves (Medplum, HAPI "
    "with client ids NOT_ALLOWED); 'auto' asks the server's CapabilityStatement, else falls "
    "back to conditional when a PUT is refused for its client-assigned id.",
)
@click.option(
    "--retries",
    default=4,
    show_default=True,
    type=click.IntRange(0),
    help="Retries per request on 429/503, connection failures and a 409 to a bundle of PUTs "
    "(backoff 0.5 s doubling; Retry-After honoured). After a timeout, a lost connection or "
    "a 502/504 the entries are read back first; a bundle with POST entries is never sent "
    "again.",
)
@click.option(
    "--token-env",
    default="FHIR_EXPORT_TOKEN",
    show_default=True,
    metavar="NAME",
    help="Environment variable holding a bearer token (a token is never taken as an option).",
)
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="PEM file of the CA(s) to trust instead of the system's (TLS is always verified).",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Deadline of each request, the whole exchange (a server that trickles its answer "
    "is cut off).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be sent; connect to nothing.")
@click.option(
    "--prune",
    is_flag=True,
    help="Delete what the server still holds of an article's previous identity (recorded in "
    "the folder's manifest.json). Without it, push only lists those resources.",
)
@_reporting
def push_command(
    paths: tuple[str, ...],
    server: str,
    max_entries: int,
    max_bytes: int | None,
    concurrency: int,
    send_as: str,
    id_mode: str,
    retries: int,
    token_env: str,
    ca_bundle: str | None,
    timeout: float,
    dry_run: bool,
    prune: bool,
) -> None:
    """Send bundles at PATHS (transaction/batch/collection Bundles, JSON or XML, NDJSON files,
    or an `export --format ndjson` folder) to the FHIR server at --server, and summarise
    each entry as created, updated, unchanged or failed. Exit 1 if anything failed, 5 if the
    server cannot be reached."""
    from . import push as push_module  # imports httpx only for this command
    from . import push_send
    from .push_http import Redactor

    token = os.environ.get(token_env) or None
    scrub = Redactor(token)
    bar = _reporter("request")

    def say(line: str) -> None:
        bar.message(scrub(line), error=line.startswith("Error:"))

    def tell(line: str, record: dict[str, object]) -> None:  # a request finished
        bar.item(scrub(line), record, label=str(record["request"]))

    try:
        requests, errors = push_module.plan(paths, max_entries, send_as, max_bytes)
        for error in errors:
            say(error.line())
        if dry_run:
            _dry_run(requests, push_module.redact(server.rstrip("/")), id_mode.lower())
            auth = f"bearer token from ${token_env}" if token else f"no token (${token_env} unset)"
            entries = sum(p.entry_count for p in requests)
            click.echo(
                f"dry run: {plural(len(requests), 'request')}, "
                f"{plural(entries, 'entry', 'entries')}, {auth}",
                err=True,
            )
            sys.exit(int(max((e.exit_code for e in errors), default=ExitCode.OK)))
        bar.start(len(requests))
        report = push_send.push(
            requests,
            server,
            token=token,
            retries=retries,
            timeout=timeout,
            ca_bundle=ca_bundle,
            concurrency=concurrency,
            on_result=lambda result: _print_result(result, say, tell),
            on_retry=lambda planned, what: say(f"{planned.label}: {what}"),
            id_mode=id_mode.lower(),
        )
        pruned = ExitCode.OK if report.exit_code is ExitCode.SERVER_FAILED else (
            _previous_identities(list(paths), server, token, ca_bundle, timeout, prune, say))
    except ExportError as exc:
        bar.close()
        say(exc.line())
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        bar.close()
        say(f"Error: interrupted: {bar.done} of {plural(bar.total, 'request')} finished "
            "(each listed above); a request in flight may or may not have been applied. "
            "Push again to finish (PUT entries already loaded come back unchanged).")
        sys.exit(int(ExitCode.INTERRUPTED))
    bar.close()
    report.errors[:0] = errors
    for error in report.errors[len(errors) :]:
        say(error.line())
    total = report.counts()
    say(
        f"{plural(len(report.results), 'request')} to {report.server}, "
        f"{plural(sum(total.values()), 'entry', 'entries')}: {_outcomes(total)}"
    )
    sys.exit(int(max(report.exit_code, pruned)))


def _dry_run(requests: list[push.PlannedRequest], shown: str, id_mode: str) -> None:
    """Each request as it would be sent (`POST base ...`), then each of its entries' method
    and URL: with --id-mode conditional, the conditional updates (`PUT Type?identifier=...`)
    push would send; with auto, the PUT Type/id it tries first."""
    from . import push_ids
    from .push import FHIR_JSON

    if id_mode == "conditional":
        requests = push_ids.conditional(requests)
    for n, planned in enumerate(requests):
        click.echo(f"POST {shown} {FHIR_JSON} {planned.bundle_type} "
                   f"{plural(planned.entry_count, 'entry', 'entries')} ({planned.label})")
        if planned.note:
            click.echo(f"  note: {planned.note}")
        if id_mode == "auto" and n == 0:
            click.echo("  note: ids: --id-mode auto decides when it pushes (the server's "
                       "CapabilityStatement, or a refused PUT); PUT Type/id shown")
        for request in planned.requests():
            click.echo(f"  {request}")


def _previous_identities(
    paths: list[str], server: str, token: str | None, ca_bundle: str | None, timeout: float,
    prune: bool, say: Callable[[str], None],
) -> ExitCode:
    """Lines for what the server holds of articles' previous identities (push_prune)."""
    from . import push_prune

    code = ExitCode.OK
    for held in push_prune.check(paths, server, token=token, ca_bundle=ca_bundle,
                                 timeout=timeout, prune=prune):
        old = held.previous
        where = f"{old.source}: {old.article}: previous identity {old.text}"
        listed = ", ".join(held.resources[:10]) + (
            f" and {len(held.resources) - 10} more" if len(held.resources) > 10 else "")
        if not held.resources:
            say(f"{where}: the server holds nothing of it")
        elif held.deleted:
            say(f"{where}: deleted {len(held.resources)} resources ({listed})")
        elif held.error:
            say(f"Error: {where}: cannot delete its {len(held.resources)} resources: "
                f"{held.error}")
            code = ExitCode.INPUT_FAILED
        else:
            say(f"{where}: the server still holds {len(held.resources)} resources of it "
                f"({listed}); push --prune deletes them")
    return code


def _outcomes(counts: dict[str, int]) -> str:
    """'3 created, 0 updated, 0 unchanged, 0 failed', then 'verified' and 'unknown' if any."""
    shown = [(k, n) for i, (k, n) in enumerate(counts.items()) if i < 4 or n]
    return ", ".join(f"{n} {k}" for k, n in shown)


def _print_result(
    result: push.RequestResult, say: Callable[[str], None],
    tell: Callable[[str, dict[str, object]], None],
) -> None:
    """A push request's lines, printed as it finishes: its outcome, a note, and its errors."""
    from .push import FAILED, UNKNOWN, one_line

    planned = result.planned
    tries = f", {result.attempts} attempts" if result.attempts > 1 else ""
    status = f"HTTP {result.http_status}" if result.http_status else "no answer"
    line = (f"{planned.label}: {planned.bundle_type} of "
            f"{plural(planned.entry_count, 'entry', 'entries')}, "
            f"{status}{tries}: {_outcomes(result.counts())}")
    tell(line, {"request": planned.label, "status": "failed" if result.error else "done",
                "http_status": result.http_status, "attempts": result.attempts,
                "entries": planned.entry_count, "outcomes": result.counts()})
    if planned.note:
        say(f"{planned.label}: note: {planned.note}")
    if result.checked:
        say(f"{planned.label}: {one_line(result.checked)}")
    if result.error:
        say(f"Error: {planned.label}: {one_line(result.error)}")
        return
    for number, entry in enumerate(result.entries, 1):
        if entry.outcome in (FAILED, UNKNOWN):
            say(f"Error: {planned.label}: entry {number} ({entry.request}): "
                f"{one_line(entry.status)}: {one_line(entry.message)}")


@main.command("preview", epilog=_examples(
    "fhir-export preview output             # writes output/review/index.html",
    "fhir-export preview output --out site --lforms node_modules/lforms/dist/lforms",
))
@click.argument("output_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the site (default: OUTPUT_DIR/review).",
)
@click.option(
    "--lforms",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="LHC-Forms files (dist/lforms of `npm pack lforms`; default: .cache/lhc/lforms as "
    "scripts/setup_lhc_forms.sh leaves it, or $FHIR_EXPORT_LFORMS).",
)
@_reporting
def preview_command(output_dir: Path, out: Path | None, lforms: Path | None) -> None:
    """Write a static, offline review site of the Bundles (JSON or XML, R4 or R5) below
    OUTPUT_DIR: an index of the articles, and per article its text with every fact highlighted
    and linked to the resource it became, the medicines, and the Questionnaire in LHC-Forms.
    Prints the index's path."""
    from .review.site import Events, write_review  # imported only for this command

    say = _reporter("bundle")

    def page(path: Path, name: str) -> None:
        shown = display(str(path))
        say.item(f"page {name} of {shown}",
                 {"path": shown, "status": "page", "error": None, "page": name}, label=shown)

    def failed(path: Path, error: ExportError) -> None:
        shown = display(str(path))
        say.item(error.line(), {"path": shown, "status": "failed", "error": error.fields(),
                                "page": None}, failed=True, label=shown)

    try:
        review = write_review(output_dir, out or output_dir / "review", lforms=lforms,
                              events=Events(started=say.start, page=page, failed=failed))
    except ExportError as exc:
        say.close()
        say.message(exc.line(), error=True, **exc.fields())
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        _interrupted(say, f"{say.done} of {plural(say.total, 'bundle')} read, no site written")
    say.close()
    say.out(display(review.index))
    say.message(review.summary, pages=say.done - len(review.errors),
                failed=len(review.errors))
    sys.exit(int(ExitCode.INPUT_FAILED if review.errors else ExitCode.OK))


@main.group("lexicon", epilog="Examples:\n\n\b\n  fhir-export lexicon check\n"
            "  fhir-export lexicon check my-terms.json")
def lexicon_group() -> None:
    """The offline terminology lexicon."""


@lexicon_group.command("check", epilog=_examples(
    "fhir-export lexicon check",
    "fhir-export lexicon check my-terms.json --no-shipped",
))
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-shipped", is_flag=True, help="Check only FILES, not the shipped lexicon.")
def lexicon_check(files: tuple[Path, ...], no_shipped: bool) -> None:
    """Check the shipped lexicon and FILES: code formats and check digits (SNOMED CT Verhoeff,
    LOINC mod-10, RxCUI, ATC, UNII, ICD-10-CM), entry shape, duplicate ids, terms that name
    two concepts, and links to classes that do not exist. One line per problem; exit 1 on
    any error."""
    from .terminology.check import check

    issues = check(files, shipped=not no_shipped)
    for issue in issues:
        click.echo(issue.line())
    errors = sum(i.severity == "error" for i in issues)
    warnings = len(issues) - errors
    checked = "shipped lexicon" if not no_shipped else ""
    named = ", ".join(str(f) for f in files)
    click.echo(
        f"checked {' and '.join(x for x in (checked, named) if x)}: "
        f"{plural(errors, 'error')}, {plural(warnings, 'warning')}",
        err=True,
    )
    sys.exit(int(ExitCode.INPUT_FAILED if errors else ExitCode.OK))


def _nothing_of(yielded: Yield) -> list[str]:
    """-v: what an article yielded nothing of, one line each."""
    lines = []
    missing = [
        what
        for what, flag in (
            ("medicine", yielded.no_medicine),
            ("fact", yielded.no_fact),
            ("screening question", yielded.no_screening),
        )
        if flag
    ]
    if missing:
        lines.append(f"no {', no '.join(missing)}")
    for section in yielded.empty_sections:
        lines.append(f"section {section.heading or '(untitled)'!r} ({section.kind}) gave no fact")
    return lines


def _is_instant(value: str) -> bool:
    """An R4 instant: a real date and time to the second, with a time zone."""
    if not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})", value
    ):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


if __name__ == "__main__":  # pragma: no cover
    main()
    raise SystemExit(ExitCode.OK)

"""The command line. The only module that imports click; bodies stay thin over the library."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

# Only light modules at import time, so that `--help` answers at once: each command imports
# the pipeline, the FHIR models, the readers or the lexicon it needs in its body.
from . import __version__
from .article_types import SUFFIXES
from .errors import ExitCode, ExportError, InternalError, display
from .options import BundleType, ExportOptions, OutputFormat

if TYPE_CHECKING:
    from collections.abc import Callable

    from . import push
    from .report import Yield


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


@main.command(
    "export",
    help="Export articles at PATHS (folders, files or globs; default: source/). Reads "
    f"{', '.join(SUFFIXES)} files; other files in a folder or matched by a glob are listed "
    "as skipped.",
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
@click.option(
    "--jobs",
    "jobs",
    type=click.IntRange(1),
    default=None,
    metavar="N",
    help="Export articles in N worker processes (1: in this process). Default: the "
    "machine's CPU count. Outputs, lines and report are the same for any N; --merge maps "
    "articles in this process.",
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
        article_timeout=article_timeout,
    )
    sources = paths or ("source",)
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
            result = export_corpus(sources, Path(out), options)
        elif format == "ndjson":
            result = export_ndjson(sources, Path(out), options)
        else:
            result = export(sources, Path(out), options)
        if report is not None:
            write_report(result, report)
        if html is not None:
            from .review.site import write_review  # imported only for --html

            bundles = [Path(o) for a in result.results for o in a.outputs]
            review = write_review(Path(out), html, bundles, tuple(e.line() for e in result.errors))
    except ExportError as exc:
        click.echo(exc.line(), err=True)
        sys.exit(int(exc.exit_code))
    for error in result.errors:
        click.echo(error.line(), err=True)
    for article in result.results:
        for written in article.outputs:
            click.echo(display(written))
        shown = display(article.path)
        for note in article.limited:
            click.echo(f"{shown}: {note}", err=True)
        if verbose and article.unmapped_texts:
            click.echo(f"{shown}: unmapped: {'; '.join(article.unmapped_texts)}", err=True)
        if verbose and article.yielded is not None:
            for line in _nothing_of(article.yielded):
                click.echo(f"{shown}: {line}", err=True)
    for passed_over in (result.not_followed_line(), result.skipped_line()):
        if passed_over:
            click.echo(passed_over, err=True)
    for line in clean_run_lines(result):
        click.echo(line, err=True)
    empty = result.empty_line()
    if empty:
        click.echo(empty, err=True)
    if html is not None:
        click.echo(display(review.index))
        click.echo(review.summary, err=True)
    click.echo(result.summary(), err=True)
    sys.exit(int(result.exit_code))


@main.command("convert")
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
    result = convert_files(paths, to, Path(out) if out else None, fhir_version)
    for error in result.errors:
        click.echo(error.line(), err=True)
    for article in result.results:
        for written in article.outputs:
            click.echo(display(written))
    click.echo(f"{len(result.results)} converted, {len(result.errors)} failed", err=True)
    sys.exit(int(result.exit_code))


@main.command("validate")
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
    help="One line per issue, or a FHIR OperationOutcome (JSON) per file.",
)
def validate_command(paths: tuple[str, ...], fhir_version: str | None, format: str) -> None:
    """Validate FHIR Bundles or resources (JSON or XML, R4 or R5): structure through the
    models, the FHIRPath invariants of the official StructureDefinitions, required-binding
    codes, references inside a bundle, and narrative safety. Exit 1 if any file has an error."""
    from . import validation
    from .convert import read_capped

    failed = False
    crashed = False
    for raw in paths:
        try:
            data = read_capped(raw)  # over the size limit is an issue; /dev/zero is not read
        except OSError as exc:
            click.echo(f"Error: {display(raw)}: cannot read file ({exc.strerror}).", err=True)
            failed = True
            continue
        try:
            issues = validation.validate(data, path=raw, fhir_version=fhir_version)
        except Exception as exc:  # a bug: this file is reported, the others still validated
            click.echo(InternalError(exc, path=raw, stage="validate").line(), err=True)
            crashed = True
            continue
        failed = failed or validation.has_errors(issues)
        if format == "operationoutcome":
            click.echo(
                json.dumps(validation.operation_outcome(issues), indent=2, ensure_ascii=False)
            )
        else:
            for issue in issues:
                click.echo(issue.line(raw))
        errors = sum(i.severity == "error" for i in issues)
        click.echo(
            f"{display(raw)}: {errors} errors, {len(issues) - errors} other issues", err=True
        )
    if crashed:
        sys.exit(int(ExitCode.INTERNAL_ERROR))
    sys.exit(int(ExitCode.INPUT_FAILED if failed else ExitCode.OK))


@main.command("push")
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
    "dependency order; a reference cycle stays in one chunk). 'batch' sends batch Bundles as "
    "exported: a server that enforces referential integrity refuses entries that refer to "
    "each other.",
)
@click.option(
    "--retries",
    default=4,
    show_default=True,
    type=click.IntRange(0),
    help="Retries per request on 429/503 and connection failures (backoff 0.5 s doubling; "
    "Retry-After honoured). After a timeout, a lost connection or a 502/504 the entries are "
    "read back first; a bundle with POST entries is never sent again.",
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
def push_command(
    paths: tuple[str, ...],
    server: str,
    max_entries: int,
    max_bytes: int | None,
    concurrency: int,
    send_as: str,
    retries: int,
    token_env: str,
    ca_bundle: str | None,
    timeout: float,
    dry_run: bool,
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

    def say(line: str) -> None:
        click.echo(scrub(line), err=True)

    try:
        requests, errors = push_module.plan(paths, max_entries, send_as, max_bytes)
        for error in errors:
            say(error.line())
        if dry_run:
            shown = push_module.redact(server.rstrip("/"))
            auth = f"bearer token from ${token_env}" if token else f"no token (${token_env} unset)"
            for planned in requests:
                click.echo(
                    f"POST {shown} {push_module.FHIR_JSON} {planned.bundle_type} "
                    f"{planned.entry_count} entries ({planned.label})"
                )
                if planned.note:
                    click.echo(f"  note: {planned.note}")
            entries = sum(p.entry_count for p in requests)
            many = "" if len(requests) == 1 else "s"
            click.echo(
                f"dry run: {len(requests)} request{many}, {entries} entries, {auth}", err=True
            )
            sys.exit(int(max((e.exit_code for e in errors), default=ExitCode.OK)))
        report = push_send.push(
            requests,
            server,
            token=token,
            retries=retries,
            timeout=timeout,
            ca_bundle=ca_bundle,
            concurrency=concurrency,
            on_result=lambda result: _print_result(result, say),
        )
    except ExportError as exc:
        say(exc.line())
        sys.exit(int(exc.exit_code))
    report.errors[:0] = errors
    for error in report.errors[len(errors) :]:
        say(error.line())
    total = report.counts()
    say(
        f"{len(report.results)} request{'' if len(report.results) == 1 else 's'} to "
        f"{report.server}, {sum(total.values())} entries: {_outcomes(total)}"
    )
    sys.exit(int(report.exit_code))


def _outcomes(counts: dict[str, int]) -> str:
    """'3 created, 0 updated, 0 unchanged, 0 failed', then 'verified' and 'unknown' if any."""
    shown = [(k, n) for i, (k, n) in enumerate(counts.items()) if i < 4 or n]
    return ", ".join(f"{n} {k}" for k, n in shown)


def _print_result(result: push.RequestResult, say: Callable[[str], None]) -> None:
    """A push request's lines, printed as it finishes: its outcome, a note, and its errors."""
    from .push import FAILED, UNKNOWN, one_line

    planned = result.planned
    tries = f", {result.attempts} attempts" if result.attempts > 1 else ""
    status = f"HTTP {result.http_status}" if result.http_status else "no answer"
    say(f"{planned.label}: {planned.bundle_type} of {planned.entry_count} entries, "
        f"{status}{tries}: {_outcomes(result.counts())}")
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


@main.command("preview")
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
def preview_command(output_dir: Path, out: Path | None, lforms: Path | None) -> None:
    """Write a static, offline review site of the Bundles (JSON or XML, R4 or R5) below
    OUTPUT_DIR: an index of the articles, and per article its text with every fact highlighted
    and linked to the resource it became, the medicines, and the Questionnaire in LHC-Forms.
    Prints the index's path."""
    from .review.site import write_review  # imported only for this command

    try:
        review = write_review(output_dir, out or output_dir / "review", lforms=lforms)
    except ExportError as exc:
        click.echo(exc.line(), err=True)
        sys.exit(int(exc.exit_code))
    for line in review.errors:
        click.echo(line, err=True)
    click.echo(display(review.index))
    click.echo(review.summary, err=True)
    sys.exit(int(ExitCode.INPUT_FAILED if review.errors else ExitCode.OK))


@main.group("lexicon")
def lexicon_group() -> None:
    """The offline terminology lexicon."""


@lexicon_group.command("check")
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
        f"checked {' and '.join(x for x in (checked, named) if x)}: {errors} errors, "
        f"{warnings} warnings",
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

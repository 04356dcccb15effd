"""Finding the article files at the paths of a run: folders (recursively), files, glob patterns.

Paths named on the command line are read as named (a symlink the user names is followed).
Below them, a symlink is followed only when it stays inside the input root (the folder given,
or the fixed part of a glob pattern): a symlink to a file elsewhere, and any symlinked folder,
is passed over and reported with its reason, unless `follow_symlinks` is set. Folders are
walked without recursion and a folder already read (by its real path) is never read again,
so a `**` pattern or a folder over symlink loops terminates. A folder that cannot be listed
is an error of its own, never passed over silently.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePath
from typing import overload

from .errors import ExportError, SourceError
from .identity import glob_root, relative_path
from .sources import is_article
from .spool import Pairs

# this tool's own outputs: not articles, and not worth a 'skipped' line either
_OWN_OUTPUTS = (".bundle.json", ".bundle.xml", ".ndjson")
_HINT = "--follow-symlinks follows it"


def ignored(path: Path, root: Path) -> bool:
    """Hidden files and folders (below root), Office lock files (~$leaflet.docx, written
    beside a document while Word has it open) and this tool's outputs are passed over
    silently; any other file that is not an article is reported as skipped."""
    name = path.name.lower()
    return (
        any(part.startswith(".") for part in path.relative_to(root).parts)
        or name.startswith("~$")
        or name.endswith(_OWN_OUTPUTS)
        or name == "manifest.json"
    )


@dataclass(frozen=True, slots=True)
class Input:
    """An article file and its path below the input root it was found under (a folder
    argument, the fixed part of a glob pattern, or a file argument's own folder): the
    article's identity when it states no URL, and the name of its output files. The file's
    path is kept as a string (a run holds one Input per article: a Path is three times the
    memory)."""

    raw: str  # str(path)
    relative: str

    @classmethod
    def of(cls, path: Path, relative: str) -> Input:
        return cls(str(path), relative)

    @property
    def path(self) -> Path:
        return Path(self.raw)

    @property
    def stem(self) -> str:
        """The relative path without the file's suffix: 'a/index' for 'a/index.html'."""
        return self.relative.rsplit(".", 1)[0] if "." in os.path.basename(self.raw) else (
            self.relative)


@dataclass(slots=True)
class Found:
    """What a walk below one root found: the folders to read (their files are read from
    them in sorted order when asked, paths()), or the files of a pattern's one folder."""

    root: Path | None = None  # None: `files` are what was found
    follow_symlinks: bool = False
    pattern: tuple[str, ...] | None = None  # a glob pattern's parts below root: a filter
    folders: set[str] = field(default_factory=set)  # below root, as str(path)
    files: list[str] = field(default_factory=list)
    not_followed: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason)
    errors: list[ExportError] = field(default_factory=list)
    count: int = 0  # files paths() gave

    def follows(self, link: Path, real_root: Path, follow: bool) -> bool:
        """Whether the symlink at link is followed; if not, it is noted with its reason."""
        problem = _link_problem(link, real_root, follow)
        if problem is not None:
            self.not_followed.append((link, problem))
        return problem is None

    def paths(self) -> Iterator[str]:
        """The files found, as strings, in sorted(Path) order, read one folder at a time."""
        if self.root is None:
            self.count = len(self.files)
            yield from self.files
            return
        root, pattern = self.root, self.pattern
        for raw in _files_below(root, self, root.resolve()):
            if pattern is None or _matches(pattern, _parts(Path(raw), root)):
                self.count += 1
                yield raw


def _inside(target: Path, root: Path) -> bool:
    return target == root or root in target.parents


def _link_problem(path: Path, real_root: Path, follow: bool) -> str | None:
    """Why the symlink at path is not followed (None: it is)."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return "broken, or a symlink loop"
    if follow:
        return None
    if target.is_dir():
        where = "inside" if _inside(target, real_root) else "outside"
        return f"to a folder {where} the input folder; {_HINT}"
    if not _inside(target, real_root):
        return f"to a file outside the input folder; {_HINT}"
    return None


def walk(root: Path, *, follow_symlinks: bool = False) -> Found:
    """The folders below root to read, with the symlinks not followed and the folders that
    cannot be listed; hidden folders are not entered. Its files are read by files(), in
    sorted order, one folder's listing at a time: nothing per file is kept."""
    found = Found(root=root, follow_symlinks=follow_symlinks)
    real_root = root.resolve()
    visited = {real_root}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            found.errors.append(
                SourceError(f"cannot read folder ({exc.strerror})", path=str(folder))
            )
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink() and not found.follows(path, real_root, follow_symlinks):
                    continue
                if entry.is_dir():
                    real = path.resolve()
                    if real in visited:
                        found.not_followed.append((path, "a loop: its folder is already read"))
                        continue
                    visited.add(real)
                    found.folders.add(str(path))
                    stack.append(path)
            except (OSError, RuntimeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                found.errors.append(SourceError(f"cannot read ({reason})", path=str(path)))
    return found


def _files_below(folder: Path, found: Found, real_root: Path) -> Iterator[str]:
    """The files walk() found below folder, in path order (see _in_path_order): a folder's
    entries by name, each folder's files in place of its name. What walk() noted (links,
    errors) is not noted again."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.name.startswith(".") or (
                entry.is_symlink()
                and _link_problem(path, real_root, found.follow_symlinks) is not None
            ):
                continue
            if entry.is_dir():
                if str(path) in found.folders:
                    yield from _files_below(path, found, real_root)
            elif entry.is_file():
                yield str(path)
        except (OSError, RuntimeError):
            continue


def _matches(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    """glob's rules for one relative path: `**` is any number of folders, `*` and `?` stay
    within a name and match no leading dot."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(
            _matches(rest, parts[skip:])
            for skip in range(len(parts) + 1)
            if not any(p.startswith(".") for p in parts[:skip])
        )
    if not parts or (parts[0].startswith(".") and not head.startswith(".")):
        return False
    return fnmatchcase(parts[0], head) and _matches(rest, parts[1:])


def _glob(raw: str, *, follow_symlinks: bool) -> Found:
    """The files a glob pattern matches below its fixed folder, found by walk(): never
    through a symlink out of that folder (unless asked), terminating over loops."""
    root = glob_root(raw)
    pattern = PurePath(raw).parts[len(root.parts) :] if root.parts else PurePath(raw).parts
    if not root.is_dir():
        return Found()
    if not any(glob.has_magic(p) for p in pattern[:-1]) and "**" not in pattern:
        # magic only in the file name: one folder listed, no recursion to bound
        found = Found()
        real_root = root.resolve()
        for name in sorted(glob.glob(raw)):
            path = Path(name)
            if path.is_symlink() and not found.follows(path, real_root, follow_symlinks):
                continue
            if path.is_file():
                found.files.append(str(path))
        return found
    found = walk(root, follow_symlinks=follow_symlinks)
    found.pattern = pattern
    found.not_followed = [
        (p, why)
        for p, why in found.not_followed
        if "folder" in why or _matches(pattern, _parts(p, root))
    ]
    return found


def _parts(path: Path, root: Path) -> tuple[str, ...]:
    return path.relative_to(root).parts if root.parts else path.parts


def _sort_out(found: Found, root: Path | None, relative_to: Path,
              others: list[Path]) -> Iterator[Input]:
    """The articles found (not ignored below `root`, or below their own folder when it is
    None), named below `relative_to`; other files to others. One Path at a time."""
    for raw in found.paths():
        path = Path(raw)
        if ignored(path, path.parent if root is None else root):
            continue
        if is_article(path):
            yield Input(raw, relative_path(path, relative_to))
        else:
            others.append(path)


class Inputs(Sequence[Input]):
    """The articles of a run, in order, on disk (spool.Pairs): in memory only 8 bytes per
    article, so that a run of 100,000 articles does not hold 100,000 Inputs. Read back by
    index or in order."""

    def __init__(self, items: Iterable[Input] = ()) -> None:
        self.pairs = Pairs()
        for item in items:
            self.append(item)

    def append(self, item: Input) -> None:
        self.pairs.append(item.raw, item.relative)

    def __len__(self) -> int:
        return len(self.pairs)

    @overload
    def __getitem__(self, index: int) -> Input: ...

    @overload
    def __getitem__(self, index: slice) -> list[Input]: ...

    def __getitem__(self, index: int | slice) -> Input | list[Input]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return Input(*self.pairs.pair(index))

    def __iter__(self) -> Iterator[Input]:
        for index in range(len(self)):
            yield self[index]


def discover(
    paths: Iterable[str],
    *,
    skipped: list[Path] | None = None,
    not_followed: list[tuple[Path, str]] | None = None,
    follow_symlinks: bool = False,
) -> tuple[Inputs, list[ExportError]]:
    """Articles named by paths: folders (recursively), files, or glob patterns, in the
    order found (each folder's files sorted). Files of other types found in folders or by
    patterns are added to `skipped`, symlinks not followed to `not_followed` with their
    reason. The articles are on disk (Inputs): one root's are never all in memory."""
    roots = list(paths)
    if len(roots) == 1:  # one walk finds each file once: nothing to drop, nothing held
        found = Inputs()
        others, links, errors = _discover(roots[0], follow_symlinks, found.append)
    else:
        held: list[Input] = []
        others, links, errors = [], [], []
        for raw in roots:
            more = _discover(raw, follow_symlinks, held.append)
            others += more[0]
            links += more[1]
            errors += more[2]
        # a file below two roots: where the last finds it, named as the first does
        found = Inputs(list({i.raw: i for i in reversed(held)}.values())[::-1])
    if skipped is not None and others:  # an article is never among the others (its suffix)
        skipped += list(dict.fromkeys(others))
    if not_followed is not None:
        not_followed += list(dict(links).items())
    return found, errors


def _discover(
    raw: str, follow_symlinks: bool, found: Callable[[Input], None]
) -> tuple[list[Path], list[tuple[Path, str]], list[ExportError]]:
    """The articles at one path to found(), in order; the other files, the symlinks not
    followed and the errors returned."""
    others: list[Path] = []
    links: list[tuple[Path, str]] = []
    errors: list[ExportError] = []
    path = Path(raw)
    try:
        if path.is_dir():
            below = walk(path, follow_symlinks=follow_symlinks)
            errors += below.errors
            links += below.not_followed
            for item in _sort_out(below, path, path, others):
                found(item)
        elif path.is_file():
            found(Input.of(path, path.name))
        elif glob.has_magic(raw):
            root = glob_root(raw)
            matched = _glob(raw, follow_symlinks=follow_symlinks)
            errors += matched.errors
            links += matched.not_followed
            for item in _sort_out(matched, None, root, others):
                found(item)
            if matched.count == 0 and not matched.not_followed and not matched.errors:
                errors.append(SourceError("no file matches this pattern", path=raw))
        else:
            errors.append(SourceError("no such file or directory", path=raw))
    except OSError as exc:  # e.g. under a folder the user may not search
        errors.append(SourceError(f"cannot read ({exc.strerror})", path=raw))
    return others, links, errors

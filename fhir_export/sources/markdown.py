"""Markdown articles, parsed with markdown-it-py (CommonMark + tables)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..model import BlockKind, RawBlock, RawDocument, SourceHints
from .decode import collapse, normalize_text
from .html_metadata import page_url

_PARSER = MarkdownIt("commonmark").enable("table")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_FM_LINE = re.compile(r"^(\w[\w-]*)\s*:\s*(.+?)\s*$", re.M)


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline", "html_inline"):
            if child.type == "html_inline":
                continue
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return collapse("".join(parts))


def read(path: str, name: str, raw: bytes, content: str) -> RawDocument:
    content = normalize_text(content)
    hints = SourceHints()
    front = _FRONT_MATTER.match(content)
    if front:
        meta = {k.lower(): v.strip("'\"") for k, v in _FM_LINE.findall(front.group(1))}
        hints = SourceHints(
            title=meta.get("title"),
            language=meta.get("lang") or meta.get("language"),
            publisher=meta.get("publisher") or meta.get("source"),
            author=meta.get("author"),
            date=meta.get("updated") or meta.get("modified") or meta.get("date"),
            url=page_url(meta.get("canonical") or meta.get("canonical_url"))
            or page_url(meta.get("url")),
        )
        content = content[front.end() :]
    blocks: list[RawBlock] = []
    depth = 0
    row: list[str] = []
    in_head = False
    pending: str | None = None  # the kind for the next inline token
    level = 0
    for token in _PARSER.parse(content):
        t = token.type
        if t in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif t in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif t == "heading_open":
            pending, level = "heading", int(token.tag[1])
        elif t == "paragraph_open":
            pending = "item" if depth else "paragraph"
        elif t == "thead_open":
            in_head = True
        elif t == "thead_close":
            in_head = False
        elif t == "tr_open":
            row = []
        elif t in ("th_open", "td_open"):
            pending = "cell"
        elif t == "tr_close":
            if any(row):
                blocks.append(
                    RawBlock(
                        kind=BlockKind.ROW, text=" | ".join(row), cells=tuple(row), header=in_head
                    )
                )
        elif t == "inline":
            text = _inline_text(token)
            if pending == "cell":
                row.append(text)
            elif text and pending == "heading":
                blocks.append(RawBlock(kind=BlockKind.HEADING, text=text, level=level))
            elif text and pending == "item":
                blocks.append(RawBlock(kind=BlockKind.ITEM, text=text, level=depth))
            elif text:
                blocks.append(RawBlock(kind=BlockKind.PARAGRAPH, text=text))
            pending = None
        elif t in ("fence", "code_block"):
            text = collapse(token.content)
            if text:
                blocks.append(RawBlock(kind=BlockKind.PARAGRAPH, text=text))
    return RawDocument(
        path=path,
        name=name,
        media_type="text/markdown",
        charset="",
        raw=raw,
        blocks=tuple(blocks),
        hints=hints,
    )

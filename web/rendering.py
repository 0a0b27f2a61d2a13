"""Markdown to safe HTML, and user text made safe to store: the only places HTML is produced."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

ARTICLE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
COMMUNITY_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre", "strong", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class Heading:
    """A table-of-contents entry."""

    level: int
    anchor: str
    text: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """Safe HTML and the headings it contains."""

    html: str
    headings: tuple[Heading, ...]


@lru_cache(maxsize=1)
def _article_parser() -> MarkdownIt:
    """CommonMark with tables and heading anchors; raw HTML is parsed, then sanitised."""
    return (
        MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
        .enable("table")
        .enable("strikethrough")
        .use(anchors_plugin, min_level=2, max_level=3, permalink=False)
    )


@lru_cache(maxsize=1)
def _community_parser() -> MarkdownIt:
    """CommonMark without raw HTML: customers' text is shown as text."""
    return MarkdownIt("commonmark", {"html": False}).disable("image")


def render_article(markdown: str) -> Rendered:
    """An article's Markdown as sanitised HTML plus its h2/h3 headings for a table of contents."""
    raw = _article_parser().render(markdown)
    safe = nh3.clean(
        raw,
        tags=ARTICLE_TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    headings = tuple(
        Heading(int(level), anchor, html.unescape(_TAG.sub("", inner)).strip())
        for level, anchor, inner in _HEADING.findall(safe)
    )
    return Rendered(safe, headings)


def render_community(markdown: str) -> str:
    """A community post as sanitised HTML: no raw HTML, no images, links marked as user content."""
    raw = _community_parser().render(markdown)
    return nh3.clean(
        raw,
        tags=COMMUNITY_TAGS,
        attributes={"a": {"href"}},
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener noreferrer",
    )


def clean_user_text(text: str) -> str:
    """Text as it may be stored: normalised, no control characters, no HTML markup.

    Markup is removed (script and style contents with it) and entities decoded back, so what
    is stored is what the person meant to write; rendering escapes it again.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if "<" in text or "&" in text:
        text = html.unescape(nh3.clean(text, tags=set()))
    return text.strip()


def plain_text(markdown: str, *, limit: int = 200) -> str:
    """A short plain-text excerpt of Markdown (for cards and meta descriptions)."""
    text = _TAG.sub(" ", _community_parser().render(markdown))
    text = " ".join(html.unescape(text).split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"

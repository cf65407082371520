"""The knowledge base: ``seed/kb/*.md`` articles, rendered and searchable."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import markdown
import nh3
from markupsafe import escape

from crm_sandbox.content import file_stamp


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    summary: str
    text: str  # the Markdown source

    @cached_property
    def html(self) -> str:
        """The article as sanitised HTML (the source is trusted seed data, but rendered defensively)."""
        return nh3.clean(markdown.markdown(self.text, extensions=["tables", "sane_lists"]))

    def html_with(self, values: Mapping[str, str]) -> str:
        """The HTML with each ``{name}`` of ``values`` filled in (escaped): e.g. the cohort's own authority
        limit, so an article never contradicts the policy the learner works under."""
        html = self.html
        for name, value in values.items():
            html = html.replace("{" + name + "}", str(escape(value)))
        return html


def _parse(path: Path) -> Article:
    text = path.read_text(encoding="utf-8")
    lines = text.strip().splitlines()
    title = lines[0].lstrip("# ").strip() if lines and lines[0].startswith("#") else path.stem
    body = "\n".join(lines[1:]).strip()
    summary = body.split("\n\n", 1)[0].replace("\n", " ") if body else ""
    return Article(path.stem, title, summary, body)


@lru_cache(maxsize=4)
def _load(seed_dir: str, stamp: tuple) -> tuple[Article, ...]:
    return tuple(sorted((_parse(p) for p in sorted(Path(seed_dir, "kb").glob("*.md"))), key=lambda a: a.title))


def articles(seed_dir: str) -> tuple[Article, ...]:
    """Every article, by title. Cached until a file changes (seed files are read-only content)."""
    paths = sorted(Path(seed_dir, "kb").glob("*.md"))
    return _load(seed_dir, tuple((p.name, *file_stamp(p)) for p in paths))


def get_article(seed_dir: str, slug: str) -> Article | None:
    return next((a for a in articles(seed_dir) if a.slug == slug), None)


def search(seed_dir: str, query: str) -> list[Article]:
    """Articles containing every word of ``query``, title matches first; all articles for no query."""
    words = re.findall(r"[a-z0-9&]+", (query or "").lower())[:10]
    if not words:
        return list(articles(seed_dir))
    scored = []
    for article in articles(seed_dir):
        title, text = article.title.lower(), article.text.lower()
        if all(w in title or w in text for w in words):
            scored.append((-sum(3 * (w in title) + text.count(w) for w in words), article.title, article))
    return [a for *_, a in sorted(scored, key=lambda s: (s[0], s[1]))]

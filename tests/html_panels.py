"""Pieces of a page's HTML, normalised for comparison: a small tree from the standard library's parser."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list["Node | str"] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


def find_all(node: Node, match: Callable[[Node], bool]) -> list[Node]:
    found = []
    for child in node.children:
        if isinstance(child, Node):
            if match(child):
                found.append(child)
            else:
                found += find_all(child, match)
    return found


def render(node: Node | str, drop: Callable[[Node], bool]) -> str:
    """``node`` as text-normalised HTML (attributes sorted, whitespace collapsed), without what ``drop``
    matches."""
    if isinstance(node, str):
        return re.sub(r"\s+", " ", node)
    if drop(node):
        return ""
    inner = "".join(render(c, drop) for c in node.children)
    attrs = "".join(f' {k}="{v}"' for k, v in sorted(node.attrs.items()))
    return f"<{node.tag}{attrs}>{inner}</{node.tag}>"


def squash(html: str) -> str:
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", re.sub(r"\s+", " ", html)).strip()

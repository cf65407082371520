"""Read-only content from ``seed/``: knowledge-base articles, canned responses, outcome codes."""

from pathlib import Path


def file_stamp(path: Path) -> tuple[int, int]:
    """What changes when a seed file is edited: its modification time and size (the cache key)."""
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size

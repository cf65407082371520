"""Read-only content from ``seed/``: knowledge-base articles, canned responses, outcome codes."""

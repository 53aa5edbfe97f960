"""How big an input may be. Scenario files are shared, so size is bounded before work is done.

Each limit is far above what a real scenario needs (spring2014.yaml is 40 kB, about 2,000
YAML nodes, 60 events, nesting depth 6) and low enough that checking a hostile file stays
quick: the loader stops at the first limit crossed and says which one, at its line.
"""
from __future__ import annotations

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Largest scenario or seed file read (bytes)."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings."""
MAX_NODES = 1_000_000
"""Most YAML nodes a document may expand to, counting each use of an alias in full."""
MAX_ALIASES = 10_000
"""Most aliases (`*name`) in one document."""
MAX_ITEMS = 10_000
"""Most items in one top-level list (events, actors, documents)."""
EARLIEST_YEAR, LATEST_YEAR = 1000, 9000
"""The years a date may have. Python's dates run from year 1 to 9999; rules add up to 100 years
(an exercise's duration) to a date, and a plot's margins reach 5% of its span beyond both ends."""
MAX_MESSAGE = 500
"""Longest problem message shown; longer ones (quoting huge values) are cut."""


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"

"""Shared fixtures: the CLI runner, the fixture scenarios, and a writer for small scenarios."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

#: The report every scenario written by `write_scenario` can quote from (seeds/report.txt).
REPORT = """\
Northland demanded on Monday that Southland withdraw its troops from the border by Friday.
Southland began a ten-day exercise near the border on Tuesday
with 5,000 troops. Observers were detained in the capital.
"""

#: A scenario head with four actors; tests append an `events:` section to it.
HEAD = """\
scenario:
  id: test
  title: "A test crisis"
  seeds: seeds
actors:
  - {code: NTH, name: Northland, kind: state}
  - {code: STH, name: Southland, kind: state}
  - {code: EST, name: Eastland, kind: state}
  - {code: OBS, name: Observers, kind: group}
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def rules_path() -> Path:
    return DATA / "rules.yaml"


@pytest.fixture
def spring_path() -> Path:
    return ROOT / "scenario" / "spring2014.yaml"


@pytest.fixture
def head() -> str:
    """The standard scenario head (scenario section and actors NTH, STH, EST, OBS)."""
    return HEAD


@pytest.fixture
def write_scenario():
    """`write_scenario(tmp_path, text, name=...)`: the scenario file, beside a `seeds/` folder with report.txt."""

    def write(folder: Path, text: str, name: str = "scenario.yaml") -> Path:
        seeds = folder / "seeds"
        seeds.mkdir(exist_ok=True)
        (seeds / "report.txt").write_text(REPORT, encoding="utf-8")
        path = folder / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def find_line(text: str, marker: str) -> int:
    """1-based number of the only line of `text` containing `marker`."""
    hits = [n for n, line in enumerate(textwrap.dedent(text).splitlines(), 1) if marker in line]
    assert len(hits) == 1, f"marker {marker!r} found on lines {hits}"
    return hits[0]


@pytest.fixture
def line_of():
    """`line_of(text, marker)`: the line a test marked (e.g. with a `# <-` comment)."""
    return find_line

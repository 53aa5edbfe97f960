"""`until` conditions: a small language read by hand, never eval'd, with errors that point at the column."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from engine.query import NAMES, QueryError, parse
from engine.state import DemandState, SanctionsState, State

UTC = dt.timezone.utc
DAY = dt.datetime(2014, 3, 16, tzinfo=UTC)


def demand(i: int, status: str = "open") -> DemandState:
    return DemandState(id=f"d{i}", from_="USA", to="RUS", what="x", since=DAY, status=status)


STATE = State(time=DAY, seq=3, last="e", impulse=30.0, pressure=12.5,
              demands=(demand(1), demand(2, "met")),
              sanctions=(SanctionsState(id="s", actor="USA", against="RUS", measures=("bans",), targets=(), since=DAY),))


@pytest.mark.parametrize("text, expected", [
    ("tension > 40", True),
    ("tension >= 42.5", True),
    ("tension < 42.5", False),
    ("open_demands == 1", True),
    ("demands != 2", False),
    ("sanctions == 1 and detained == 0", True),
    ("sanctions == 0 or troops == 0", True),
    ("not (tension > 40)", False),
    ("not tension > 40 or open_demands == 1", True),
    ("(tension > 100 or sanctions > 0) and day == 2014-03-16", True),
    ("day < 2014-03-16", False),
    ("date >= 2014-03-01 AND pressure==12.5", True),
    ("impulse > -1", True),
    ("0 < tension", True),
])
def test_conditions_evaluate_on_a_state(text, expected) -> None:
    assert parse(text)(STATE) is expected


def test_before_the_first_event_dates_compare_false() -> None:
    assert parse("day >= 2000-01-01")(State()) is False
    assert parse("day < 2100-01-01")(State()) is False
    assert parse("tension == 0")(State()) is True


@pytest.mark.parametrize("text, message, column", [
    ("", "empty condition", 1),
    ("tensoin > 3", "unknown name 'tensoin'; did you mean 'tension'?", 1),
    ("tension = 3", "use == to compare", 9),
    ("tension > 3 && sanctions > 0", "use 'and'", 13),
    ("tension", "expected a comparison", 8),
    ("tension > day", "cannot compare a number with a date", 9),
    ("(tension > 3", "missing ')'", 13),
    ("tension > 3 sanctions > 0", "unexpected 'sanctions'", 13),
    ("__import__('os') > 1", "unexpected '''", 12),
    ("__import__ > 1", "unknown name '__import__'", 1),
    ("tension > 'x'", "unexpected '''", 11),
    ("day > 2014-02-30", "impossible date", 7),
    ("tension > >", "expected a name, a number or a date", 11),
])
def test_errors_say_what_and_where(text, message, column) -> None:
    with pytest.raises(QueryError, match=re.escape(message)) as info:
        parse(text)
    assert info.value.column == column and info.value.text == text.strip()


def test_every_name_reads_a_state() -> None:
    for name, (kind, getter, help_) in NAMES.items():
        assert kind in ("number", "date") and help_
        value = getter(STATE)
        assert isinstance(value, dt.date) if kind == "date" else isinstance(value, (int, float))


def test_a_condition_remembers_its_text() -> None:
    condition = parse("  tension > 40 ")
    assert str(condition) == condition.text == "tension > 40"

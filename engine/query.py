"""Conditions on a state, as `until` takes them: `tension > 40`, `open_demands == 0 and day >= 2014-03-16`.

A tiny language parsed by hand (never `eval`): names of counts and figures of a state,
numbers and ISO dates, the comparisons < <= > >= == !=, `and`, `or`, `not` and
parentheses. Anything else is a `QueryError` naming the column it starts at.
"""
from __future__ import annotations

import datetime as dt
import difflib
import operator
import re
from typing import Callable

import attrs

from .errors import CrisisError
from .state import State

Predicate = Callable[[State], bool]


def _count(items) -> int:
    return sum(1 for _ in items)


def _day(state: State) -> dt.date | None:
    return state.time.date() if state.time is not None else None


#: name -> (kind, getter, help); kind is "number" or "date"
NAMES: dict[str, tuple[str, Callable[[State], object], str]] = {
    "tension": ("number", lambda s: s.tension, "tension at the cursor"),
    "impulse": ("number", lambda s: s.impulse, "the decayed-impulse part of tension"),
    "pressure": ("number", lambda s: s.pressure, "the steady-pressure part of tension"),
    "open_demands": ("number", lambda s: _count(s.open_demands), "demands still open"),
    "demands": ("number", lambda s: _count(s.demands), "demands made so far, open or closed"),
    "overdue": ("number", lambda s: _count(d for d in s.open_demands if d.overdue), "open demands past their deadline"),
    "sanctions": ("number", lambda s: _count(s.sanctions), "sanctions packages in force"),
    "threats": ("number", lambda s: _count(t for t in s.threats if t.status == "pending"), "threats pending"),
    "detained": ("number", lambda s: _count(s.detentions), "detentions not yet ended"),
    "troops": ("number", lambda s: sum(s.troops.values()), "troops deployed or exercising, all actors"),
    "exercises": ("number", lambda s: _count(s.exercises), "exercises under way"),
    "deployments": ("number", lambda s: _count(s.deployments), "deployments and exercises under way"),
    "controlled": ("number", lambda s: _count(s.control), "sites held since a seizure"),
    "talks": ("number", lambda s: _count(s.talks), "meetings and calls held so far"),
    "ousted": ("number", lambda s: _count(s.ousted), "leaders ousted so far"),
    "day": ("date", _day, "the date of the cursor, compared with an ISO date"),
    "date": ("date", _day, "the same as day"),
}

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
        "!=": operator.ne}
_KEYWORDS = ("and", "or", "not")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w.-]))
  | (?P<number>-?(?:\d+(?:\.\d*)?|\.\d+)(?![\w.]))
  | (?P<op><=|>=|==|!=|<|>)
  | (?P<paren>[()])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)


class QueryError(CrisisError, ValueError):
    """A condition that cannot be read; `column` (1-based) points at the offending part."""

    def __init__(self, message: str, text: str, column: int) -> None:
        self.text = text
        self.column = column
        super().__init__(f"{message} (at column {column} of '{text}')")


@attrs.frozen
class _Token:
    kind: str
    value: str
    column: int


@attrs.frozen(kw_only=True)
class Condition:
    """A parsed condition: call it with a state to know whether it holds there."""

    text: str
    """The condition as written."""
    test: Predicate = attrs.field(repr=False, eq=False)

    def __call__(self, state: State) -> bool:
        return self.test(state)

    def __str__(self) -> str:
        return self.text


def _tokens(text: str) -> list[_Token]:
    out, at = [], 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            bad = text[at]
            hint = "; use == to compare" if bad == "=" else "; use 'and' / 'or'" if bad in "&|" else ""
            raise QueryError(f"unexpected '{bad}'{hint}", text, at + 1)
        if match.lastgroup != "space":
            kind = match.lastgroup
            value = match.group()
            if kind == "name" and value.lower() in _KEYWORDS:
                kind, value = "keyword", value.lower()
            out.append(_Token(kind, value, at + 1))
        at = match.end()
    return out


class _Parser:
    """Recursive descent: or_ := and_ ('or' and_)*; and_ := not_ ('and' not_)*; not_ := 'not' not_ | atom."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0

    def error(self, message: str, token: _Token | None = None) -> QueryError:
        column = token.column if token else len(self.text) + 1
        return QueryError(message, self.text, column)

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error("the condition ends too early")
        self.at += 1
        return token

    def parse(self) -> Predicate:
        if not self.tokens:
            raise self.error("empty condition; try e.g. 'tension > 40' or 'open_demands == 0'")
        test = self.or_()
        extra = self.peek()
        if extra is not None:
            raise self.error(f"unexpected '{extra.value}' (join conditions with 'and' / 'or')", extra)
        return test

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while (t := self.peek()) is not None and t.value == "or" and t.kind == "keyword":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda s: any(p(s) for p in parts))

    def and_(self) -> Predicate:
        parts = [self.not_()]
        while (t := self.peek()) is not None and t.value == "and" and t.kind == "keyword":
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else (lambda s: all(p(s) for p in parts))

    def not_(self) -> Predicate:
        t = self.peek()
        if t is not None and t.kind == "keyword" and t.value == "not":
            self.take()
            inner = self.not_()
            return lambda s: not inner(s)
        return self.atom()

    def atom(self) -> Predicate:
        t = self.peek()
        if t is not None and t.value == "(":
            self.take()
            inner = self.or_()
            close = self.peek()
            if close is None or close.value != ")":
                raise self.error("missing ')'", close)
            self.take()
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        left = self.operand()
        op = self.peek()
        if op is None or op.kind != "op":
            raise self.error("expected a comparison (< <= > >= == !=)", op)
        self.take()
        right = self.operand()
        if left[0] != right[0]:
            raise self.error(f"cannot compare a {left[0]} with a {right[0]}", op)
        compare, get_left, get_right = _OPS[op.value], left[1], right[1]

        def test(state: State) -> bool:
            a, b = get_left(state), get_right(state)
            return a is not None and b is not None and compare(a, b)
        return test

    def operand(self) -> tuple[str, Callable[[State], object]]:
        t = self.take()
        if t.kind == "number":
            value = float(t.value)
            return "number", lambda s: value
        if t.kind == "date":
            try:
                day = dt.date.fromisoformat(t.value)
            except ValueError:
                raise self.error(f"impossible date '{t.value}'", t) from None
            return "date", lambda s: day
        if t.kind == "name":
            if t.value not in NAMES:
                close = difflib.get_close_matches(t.value, NAMES, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(NAMES)}"
                raise self.error(f"unknown name '{t.value}'{hint}", t)
            kind, getter, _ = NAMES[t.value]
            return kind, getter
        raise self.error(f"expected a name, a number or a date, got '{t.value}'", t)


def parse(text: str) -> Condition:
    """Read a condition; a QueryError (with the column) if it is not one."""
    return Condition(text=text.strip(), test=_Parser(text.strip()).parse())

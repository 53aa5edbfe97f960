"""Fuzzing the scenario loader with hypothesis: generated documents and mutated real ones.

Every input must either load (and then replay and render) or be refused with a
`ScenarioError` whose problems name the file and a line within it. Any other exception,
or an input that takes longer than the time limit, is a bug. The tests run a bounded
number of examples; for many more:

    python -m engine.fuzz --examples 20000            # each property gets 20,000 inputs

It prints how many inputs each property tried, how many loaded and how many were
refused. Needs the `test` extra (hypothesis).
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .errors import ScenarioError
from .events import ALL_TYPES, COMMON_YAML_KEYS, DOCUMENTED, own_fields, yaml_key
from .reader import load_scenario
from .render import dumps, state_text, timeline_document, timeline_text
from .sim import simulate
from .timeline import build

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenario" / "spring2014.yaml"
SEEDS = ROOT / "seeds"
TIME_LIMIT = 10.0
"""CPU seconds one input may take (loading, replaying, rendering, plotting) before it counts as
a hang. CPU time, not wall-clock time, so that a busy machine does not make inputs look slow."""

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: dumping is most of the cost


class Hang(Exception):
    """An input took longer than the time limit."""


class Target:
    """A scratch folder laid out like the repository: `scenario/fuzz.yaml` beside a link to the seeds."""

    def __init__(self, folder: Path, seeds: Path = SEEDS, plot_every: int = 0) -> None:
        self.plot_every = plot_every
        """Also draw the plot of every n-th input that loads (drawing takes a second; 0: never)."""
        (folder / "scenario").mkdir(parents=True, exist_ok=True)
        if not (folder / "seeds").exists():
            (folder / "seeds").symlink_to(seeds.resolve(), target_is_directory=True)
        self.path = folder / "scenario" / "fuzz.yaml"
        self.outcomes: Counter[str] = Counter()
        self.slowest = (0.0, b"")
        """CPU seconds of the slowest input so far, and the input."""

    def check(self, data: bytes | str) -> str:
        """Load `data` as a scenario file; 'loaded' or 'refused', or raise if the loader misbehaved."""
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        self.path.write_bytes(raw)
        start = time.process_time()
        with _time_limit(TIME_LIMIT):
            try:
                scenario = load_scenario(self.path)
            except ScenarioError as exc:
                self._check_problems(exc, raw)
                outcome = "refused"
            else:
                timeline = build(simulate(scenario))  # what loads must also replay and render
                timeline_text(timeline)
                state_text(timeline, timeline.final)
                dumps(timeline_document(timeline))
                if self.plot_every and self.outcomes["loaded"] % self.plot_every == 0:
                    from .plot import save
                    save(timeline, self.path.with_suffix(".svg"))
                outcome = "loaded"
        spent = time.process_time() - start
        self.slowest = max(self.slowest, (spent, raw))
        if spent > TIME_LIMIT:  # the timer's exception can be swallowed (e.g. raised inside a gc callback)
            raise Hang(f"an input took {spent:.1f} s of CPU time")
        self.outcomes[outcome] += 1
        return outcome

    def _check_problems(self, exc: ScenarioError, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
        lines = sum(text.count(c) for c in "\n\r\x85\u2028\u2029") + 1  # YAML 1.1 also breaks lines at NEL, LS, PS
        assert exc.problems, "a ScenarioError with no problems"
        for problem in exc.problems:
            assert problem.file == str(self.path), f"problem names the wrong file: {problem}"
            assert isinstance(problem.line, int) and 0 <= problem.line <= lines, f"line out of range: {problem}"
            assert problem.message and "\n" not in problem.message, f"bad message: {problem!r}"


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt a block after `seconds` of CPU time: a hang is stopped, not only noticed after."""
    if not hasattr(signal, "setitimer") or not hasattr(signal, "SIGPROF"):  # Windows: noticed after only
        yield
        return

    def expired(signum, frame):
        raise Hang(f"an input took more than {seconds:g} s of CPU time")

    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


# --- generated documents ---------------------------------------------------------------------------

EVENT_KEYS = sorted({*COMMON_YAML_KEYS, *(yaml_key(f) for cls in ALL_TYPES.values() for f in own_fields(cls))})
VOCABULARY = sorted({"scenario", "documents", "model", "actors", "events", "id", "title", "seeds", "doc", "dated",
                     "quote", "note", "ref", "code", "name", "kind", "of", "half_life_days", "impulse_per_goldstein",
                     "conditions", "sanctions", "exercise", "detention", "occupation", "earliest", "latest",
                     *EVENT_KEYS})
CODES = ["NTH", "STH", "USA", "RUS", "X", "nth", ""]
IDS = ["e1", "e2", "e3", "2020", "E1", "e 1", ""]
DOCS = ["report.txt", "001_74c3d25dfc15a926.txt", "../../etc/passwd", "/etc/passwd", "", ".", "missing.txt"]
DATES = ["2020-01-06", "2020-01-10", "2020-02-30", "2020-01-06T12:00:00Z", "2020-01-06T25:00:00Z", "0001-01-01",
         "9999-12-31", "9999-12-31T23:59:59Z", "1970-01-01", "2020-1-6", "yesterday", "2020-01-06T12:00:00+01:00"]


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(),
        st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from([0, -1, 2**63, 10**30, -(10**30)]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20), st.sampled_from(["x" * 5000, "\x1b[2J\x9b\u202e", "$\\frac{", "a\nb", "\t"]),
        st.sampled_from(DATES), st.sampled_from(CODES), st.sampled_from(sorted(ALL_TYPES)), st.sampled_from(IDS),
        st.sampled_from(DOCS), st.sampled_from(["met", "rejected", "meeting", "call", "denial", "0831", "99999"]),
    )


def values() -> st.SearchStrategy[Any]:
    return st.recursive(scalars(), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(VOCABULARY) | st.text(max_size=6) | st.integers(-3, 3), inner, max_size=5), max_leaves=12)


def events() -> st.SearchStrategy[dict]:
    source = st.fixed_dictionaries({}, optional={"doc": st.sampled_from(DOCS), "ref": st.text(max_size=10),
                                                 "quote": st.sampled_from(["Northland demanded on Monday", "nowhere"])
                                                 | values()})
    return st.fixed_dictionaries(
        {"id": st.sampled_from(IDS) | values(), "type": st.sampled_from(sorted(ALL_TYPES)) | values()},
        optional={"at": st.sampled_from(DATES) | values(), "title": st.text(max_size=90) | values(),
                  "sources": st.lists(source, max_size=2) | values(),
                  **{key: st.sampled_from(CODES + IDS + DATES) | values() for key in EVENT_KEYS
                     if key not in ("id", "type", "at", "title", "sources")}})


def documents() -> st.SearchStrategy[Any]:
    """Scenario-shaped data: the right sections and keys, with values both plausible and absurd."""
    actor = st.fixed_dictionaries({"code": st.sampled_from(CODES) | values(), "name": st.text(max_size=10),
                                   "kind": st.sampled_from(["state", "group", "person", "planet"])},
                                  optional={"of": st.sampled_from(CODES)})
    shaped = st.fixed_dictionaries(
        {"scenario": st.fixed_dictionaries({"id": st.sampled_from(["fuzz", "Fuzz!", "../x"]) | values()},
                                           optional={"title": values(), "seeds": st.just("../seeds") | values()}),
         "actors": st.lists(actor, max_size=4) | values(),
         "events": st.lists(events(), max_size=8) | values()},
        optional={"documents": st.lists(st.fixed_dictionaries({"doc": st.sampled_from(DOCS)},
                                                              optional={"dated": st.sampled_from(DATES),
                                                                        "quote": values()})) | values(),
                  "model": st.dictionaries(st.sampled_from(VOCABULARY), values(), max_size=4) | values()})
    return shaped | values()


def _day(value) -> str:
    return value.isoformat()


@st.composite
def plausible_documents(draw, sources: list[tuple[str, str]]) -> dict:
    """Scenarios that mostly load: declared actors, real quotes, typed fields; now and then one
    value is absurd. Dates range over years 1 to 9999, so what loads also tests the engine."""
    codes = draw(st.lists(st.sampled_from(["NTH", "STH", "EST", "WST", "OBS", "USA", "RUS"]), min_size=2, max_size=5,
                          unique=True))
    near = st.dates(dt.date(2020, 1, 1), dt.date(2020, 3, 1))
    day = st.one_of(near, near, near, st.dates(dt.date(1000, 1, 1), dt.date(9000, 12, 31)), st.dates()).map(_day)
    moment = day | st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2020, 3, 1)).map(
        lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ"))
    text = st.text(min_size=1, max_size=30).filter(str.strip)
    ids: list[str] = []

    def field(kind: str, choices: tuple) -> st.SearchStrategy:
        return {"actor": st.sampled_from(codes), "actors": st.lists(st.sampled_from(codes), min_size=2, max_size=3),
                "texts": st.lists(text, min_size=1, max_size=2), "text": text,
                "event": st.sampled_from(ids or ["e0"]), "int": st.integers(0, 10**9),
                "number": st.integers(1, 36_500) | st.floats(0.001, 36_500), "bool": st.booleans(),
                "date": moment, "choice": st.sampled_from(choices or ("x",))}[kind]

    count = draw(st.integers(1, 10))
    moments = sorted(draw(st.lists(moment, min_size=count, max_size=count)))
    by_type: dict[str, list[str]] = {}
    links = {"demand": "demand", "detention": "detention"}  # fields that must name an event of that type
    events_ = []
    for index, at in enumerate(moments):
        cls = DOCUMENTED[draw(st.sampled_from(sorted(DOCUMENTED)))]
        for f in own_fields(cls):
            if yaml_key(f) in links and not by_type.get(links[yaml_key(f)]):
                cls = DOCUMENTED[links[yaml_key(f)]]  # nothing to settle yet: open one instead
        doc, quote = draw(st.sampled_from(sources))
        event = {"id": f"e{index}", "type": cls.TYPE, "at": at, "title": draw(text),
                 "sources": [{"doc": doc, "quote": quote} if draw(st.booleans()) else {"ref": draw(text)}]}
        for f in own_fields(cls):
            key = yaml_key(f)
            if key in links:
                event[key] = draw(st.sampled_from(by_type[links[key]]))
            elif f.metadata["required"] or draw(st.booleans()):
                event[key] = draw(field(f.metadata["kind"], f.metadata["choices"]))
        if ids and draw(st.booleans()):
            event["because"] = draw(st.lists(st.sampled_from(ids), max_size=2))
        ids.append(event["id"])
        by_type.setdefault(cls.TYPE, []).append(event["id"])
        events_.append(event)
    if draw(st.integers(0, 3)) == 0:  # now and then, one absurd value
        event = events_[draw(st.integers(0, len(events_) - 1))]
        event[draw(st.sampled_from(sorted(event)))] = draw(values())
    return {"scenario": {"id": "fuzz", "title": draw(text), "seeds": "../seeds"},
            "model": {"half_life_days": draw(st.floats(0.01, 10_000)),
                      "conditions": {"sanctions": draw(st.floats(-1000, 1000))}},
            "actors": [{"code": c, "name": draw(text), "kind": "state"} for c in codes],
            "events": events_}


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


# --- mutations of a real scenario ------------------------------------------------------------------

def _paths(node: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, (*path, index))


def _parent(doc: Any, path: tuple) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def structural_mutations(draw, base: dict, paths: list[tuple]) -> str:
    """`base` with fields deleted or retyped, dates shuffled, ids duplicated, events copied or moved."""
    doc = copy.deepcopy(base)
    events_ = doc.get("events") if isinstance(doc.get("events"), list) else []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "retype", "shuffle dates", "duplicate id", "copy event", "move event",
                                     "change type"]))
        if kind in ("delete", "retype"):
            path = draw(st.sampled_from(paths))
            if not path:
                continue
            try:
                parent = _parent(doc, path)
                if kind == "delete":
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = draw(values())
            except (KeyError, IndexError, TypeError):
                continue  # an earlier mutation removed or replaced this path
        elif events_ and all(isinstance(e, dict) for e in events_):
            i = draw(st.integers(0, len(events_) - 1))
            j = draw(st.integers(0, len(events_) - 1))
            if kind == "shuffle dates":
                picked = draw(st.lists(st.integers(0, len(events_) - 1), min_size=2, max_size=8, unique=True))
                dates = [events_[k].get("at") for k in picked]
                for k, at in zip(picked, draw(st.permutations(dates))):
                    events_[k]["at"] = at
            elif kind == "duplicate id":
                events_[j]["id"] = events_[i].get("id")
            elif kind == "copy event":
                events_.insert(j, copy.deepcopy(events_[i]))
            elif kind == "move event":
                events_.insert(j, events_.pop(i))
            else:
                events_[i]["type"] = draw(st.sampled_from(sorted(ALL_TYPES)))
    return dump(doc)


@st.composite
def byte_mutations(draw, base: bytes) -> bytes:
    """`base` with random bytes flipped, inserted or deleted, lines dropped, copied, swapped or re-indented."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "line", "indent"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(
                [b"\n", b": ", b"- ", b"&a ", b"*a", b"!!python/object/apply:os.system ['true']", b"{", b"[", b"'",
                 b'"', b"\t", b"\xff", b"\x00", b"<<: *a"]))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 200))]
        elif kind == "truncate":
            del data[at:]
        else:
            lines = bytes(data).split(b"\n")
            i, j = (draw(st.integers(0, len(lines) - 1)) for _ in range(2))
            if kind == "indent":
                lines[i] = b" " * draw(st.integers(0, 6)) + lines[i].lstrip(b" ")
            else:
                action = draw(st.sampled_from(["drop", "copy", "swap"]))
                if action == "drop":
                    del lines[i]
                elif action == "copy":
                    lines.insert(j, lines[i])
                else:
                    lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def load_base(path: Path = BASE) -> tuple[bytes, dict, list[tuple]]:
    raw = path.read_bytes()
    data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return raw, data, list(_paths(data))


# --- the properties, runnable at any size ----------------------------------------------------------

def properties(target: Target, base: Path = BASE) -> dict[str, tuple[st.SearchStrategy, Callable]]:
    """name -> (strategy, check) for every fuzzed property."""
    raw, data, paths = load_base(base)
    scenario = load_scenario(base)
    quoted = sorted({(src.doc, src.quote) for e in scenario.events for src in e.sources if src.doc and src.quote})
    return {
        "plausible documents": (plausible_documents(quoted).map(dump), target.check),
        "generated documents": (documents().map(dump), target.check),
        "generated YAML text": (st.text(max_size=300), target.check),
        "mutated spring2014 (structure)": (structural_mutations(data, paths), target.check),
        "mutated spring2014 (bytes)": (byte_mutations(raw), target.check),
    }


def run(name: str, strategy: st.SearchStrategy, check: Callable, examples: int, seed: int | None = None) -> int:
    """Run one property for `examples` inputs (the same ones every time without a `seed`);
    return how many inputs were tried, shrinking included."""
    tried = 0

    def counted(value):
        nonlocal tried
        tried += 1
        check(value)

    test = settings(max_examples=examples, deadline=None, database=None, derandomize=seed is None,
                    suppress_health_check=list(HealthCheck))(given(strategy)(counted))
    if seed is not None:
        from hypothesis import seed as with_seed
        test = with_seed(seed)(test)
    test()
    return tried


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="inputs per property [default: 2000]")
    parser.add_argument("--seed", type=int, help="random seed, to repeat a run [default: a new one, printed]")
    parser.add_argument("--base", type=Path, default=BASE, help="scenario to mutate [default: %(default)s]")
    parser.add_argument("--only", help="run only the properties whose name contains this")
    parser.add_argument("--plot-every", type=int, default=20, metavar="N",
                        help="also draw the plot of every N-th input that loads [default: 20; 0: never]")
    args = parser.parse_args(argv)
    seed = random.randrange(2**32) if args.seed is None else args.seed
    print(f"seed {seed}, {args.examples:,} examples per property", flush=True)
    total = 0
    with tempfile.TemporaryDirectory(prefix="crisis-fuzz-") as scratch:
        target = Target(Path(scratch), plot_every=args.plot_every)
        for name, (strategy, check) in properties(target, args.base).items():
            if args.only and args.only not in name:
                continue
            before, start = Counter(target.outcomes), time.perf_counter()
            tried = run(name, strategy, check, args.examples, seed)
            done = target.outcomes - before
            total += tried
            print(f"{name}: {tried:,} inputs tried, {done['loaded']:,} loaded, {done['refused']:,} refused "
                  f"with file:line problems, {time.perf_counter() - start:.0f} s; slowest input "
                  f"{target.slowest[0]:.2f} s of CPU time", flush=True)
            target.slowest = (0.0, b"")
    print(f"total: {total:,} inputs, no crash, no hang")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How fast `Replay.goto` seeks in a long log: `python -m engine.bench_goto [--events N] [--every K,...]`.

Prints figures, asserts nothing: the time of a full replay (a fold of every event, what
seeking without snapshots would cost), the one-off cost of taking the snapshots, and the
median, 95th percentile and worst latency of `goto` to random positions, for each
snapshot spacing K asked for. The log is synthetic and seeded, so runs are comparable:
`engine.synth`'s scenario replayed by the engine when that module is there, else (or with
`--own-log`) the simpler generator below.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import time
from pathlib import Path

from . import cameo
from . import events as ev
from .cursor import SNAPSHOT_EVERY, Replay
from .project import fold
from .scenario import Model, Scenario
from .sim import Log

ACTORS = tuple(f"A{i:02d}" for i in range(40))
SITES = tuple(f"site {i}" for i in range(200))


def _event(cls: type[ev.Event], k: int, at: dt.datetime, code: str | None = None, **fields) -> ev.Event:
    code = code or cls.DEFAULT_CAMEO
    return cls(id=f"e{k}", at=at, title=f"{cls.TYPE} {k}", cameo=code, goldstein=cameo.goldstein(code) or 0.0,
               **fields)


def synthetic_log(n: int, seed: int = 1) -> Log:
    """`n` events of every kind that changes state, opened and mostly closed again, so state stays
    the size of a long crisis (a few hundred open items) rather than growing with the log."""
    rng = random.Random(seed)
    at = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    open_demands: list[str] = []
    exercises: list[str] = []
    detentions: list[str] = []
    out: list[ev.Event] = []
    for k in range(n):
        at += dt.timedelta(seconds=rng.randint(1, 3600))
        actor, target = rng.sample(ACTORS, 2)
        roll = rng.random()
        if roll < 0.06:
            e = _event(ev.Demand, k, at, from_=actor, to=target, what="withdraw", actor=actor)
            open_demands.append(e.id)
        elif roll < 0.12 and open_demands:
            e = _event(ev.DemandResolved, k, at, "080", demand=open_demands.pop(0), outcome="met", actor=target)
        elif roll < 0.15:
            e = _event(ev.Exercise, k, at, actor=actor, region="border", troops=rng.randint(1, 50) * 1000,
                       duration_days=3)
            exercises.append(e.id)
        elif roll < 0.18 and exercises:
            e = _event(ev.ExerciseEnded, k, at, exercise=exercises.pop(0), actor=actor)
        elif roll < 0.20:
            e = _event(ev.Detention, k, at, actor=actor, detained="observers", count=4)
            detentions.append(e.id)
        elif roll < 0.22 and detentions:
            e = _event(ev.Release, k, at, detention=detentions.pop(0), actor=actor)
        elif roll < 0.24:
            e = _event(ev.Seizure, k, at, site=rng.choice(SITES), to=actor, actor=actor)
        elif roll < 0.26:
            e = _event(ev.Talks, k, at, "041", mode="call", participants=(actor, target))
        elif roll < 0.262:
            e = _event(ev.Sanctions, k, at, actor=actor, against=target, measures=("asset freezes",))
        elif roll < 0.264:
            e = _event(ev.Deployment, k, at, actor=actor, region="border", troops=1000)
        else:
            e = _event(ev.Statement, k, at, "112", kind="accusation", actor=actor, target=target)
        out.append(e)
    scenario = Scenario(id="synthetic", title=f"synthetic log of {n:,} events", path=Path("synthetic"),
                        seeds=Path("."), model=Model(), actors=(), documents=(), events=())
    return Log(scenario=scenario, events=tuple(out))


def _log(n: int, seed: int, own: bool) -> tuple[Log, str]:
    """The log to seek in: `engine.synth`'s scenario replayed by the engine, else `synthetic_log`."""
    try:
        from . import synth
    except ImportError:
        own = True
    if own:
        return synthetic_log(n, seed), "engine.bench_goto.synthetic_log (documented events, no rules)"
    import tempfile

    from .reader import load_scenario
    from .sim import simulate

    with tempfile.TemporaryDirectory(prefix="crisis-bench-") as folder:
        path = synth.write(Path(folder) / "bench.jsonl", n, seed)
        log = simulate(load_scenario(path))
    return log, f"engine.synth (seed {seed}), loaded and replayed by the engine, derived events included"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def measure(log: Log, every: int, gotos: int, seed: int) -> dict[str, float]:
    """Take the snapshots, then time `gotos` seeks to random positions (and single steps both ways)."""
    replay = Replay(log, every=every)
    started = time.perf_counter()
    replay.last()  # the first pass takes every snapshot
    build = time.perf_counter() - started
    rng = random.Random(seed)
    latencies, steps, backs = [], [], []
    for _ in range(gotos):
        target = rng.randint(0, len(log))
        started = time.perf_counter()
        replay.goto(target)
        latencies.append(time.perf_counter() - started)
        started = time.perf_counter()
        replay.step()
        steps.append(time.perf_counter() - started)
        started = time.perf_counter()
        replay.back()
        backs.append(time.perf_counter() - started)
    latencies.sort()
    return {"build": build, "median": statistics.median(latencies), "p95": latencies[int(0.95 * (len(latencies) - 1))],
            "worst": latencies[-1], "step": statistics.median(steps), "back": statistics.median(backs),
            "snapshots": len(replay._track.snapshots)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m engine.bench_goto", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="length of the synthetic log")
    parser.add_argument("--every", default=str(SNAPSHOT_EVERY),
                        help=f"snapshot spacings to compare, comma-separated (default {SNAPSHOT_EVERY})")
    parser.add_argument("--gotos", type=int, default=1000, help="random seeks per spacing")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--own-log", action="store_true",
                        help="use this module's simple generator even when engine.synth is there")
    args = parser.parse_args(argv)
    spacings = [int(k) for k in args.every.split(",")]

    started = time.perf_counter()
    log, source = _log(args.events, args.seed, args.own_log)
    made = time.perf_counter() - started
    print(f"log: {len(log):,} events from {source} (made in {made:.1f} s)", flush=True)
    gc.collect()
    started = time.perf_counter()
    final = fold(log.events, log.scenario.model)
    full = time.perf_counter() - started
    print(f"full replay (fold of every event): {full:.2f} s, {full / max(len(log), 1) * 1e6:.1f} µs per event; "
          f"final state: {sum(1 for _ in final.open_demands)} open demands, "
          f"{sum(1 for _ in final.deployments)} forces, {sum(1 for _ in final.talks)} talks", flush=True)
    print(f"{'K':>6}  {'snapshots':>9}  {'first pass':>10}  {'goto median':>11}  {'goto p95':>11}  "
          f"{'goto worst':>11}  {'next':>11}  {'back':>11}")
    for every in spacings:
        gc.collect()
        r = measure(log, every, args.gotos, args.seed)
        print(f"{every:>6}  {r['snapshots']:>9,}  {r['build']:>8.2f} s  {_ms(r['median']):>11}  {_ms(r['p95']):>11}  "
              f"{_ms(r['worst']):>11}  {_ms(r['step']):>11}  {_ms(r['back']):>11}", flush=True)
    print(f"target: median goto under 5 ms at 1,000,000 events ({args.gotos} random positions per row)")


if __name__ == "__main__":
    main()

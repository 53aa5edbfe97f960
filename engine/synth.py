"""Synthetic scenarios for benchmarks: many actors, a realistic mix of types, reproducible.

`generate(events, seed)` returns a scenario as plain data, in the shape of the scenario
file; `write(path, events, seed)` writes it as YAML or, for a `.jsonl` path, as JSON Lines
(what `engine.jsonl` reads quickly). The mix follows news-coded event data: mostly
statements, talks and proposals, then demands (with deadlines, later met, rejected or
withdrawn), threats (conditional on later events, some with a date by which they lapse),
exercises with durations, deployments, sanctions, detentions and releases, seizures.
Every quote is a sentence of a generated news-wire digest written beside the scenario
(`<name>-seeds/wire.txt`), so the loader checks it like any other; one event in ten cites
a `ref:` instead. The same seed always gives the same bytes.
"""
from __future__ import annotations

import bisect
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from .atomic import atomic_write

WIRE = "wire.txt"
START = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)

#: Relative frequency of each documented type (per mille), close to news-coded event sets.
MIX: dict[str, int] = {
    "statement": 330, "talks": 120, "proposal": 60, "demand": 70, "demand_resolved": 45, "threat": 45,
    "deployment": 45, "aid": 40, "exercise": 35, "sanctions": 30, "seizure": 30, "detention": 30,
    "release": 22, "agreement": 25, "referendum": 3, "ouster": 2,
}

_SYLLABLES = ("val", "dor", "ost", "mar", "kel", "an", "ria", "ta", "bel", "gor", "sun", "vin", "lo", "tra",
              "nor", "esk", "ul", "pra", "zen", "mo", "cal", "dra", "fen", "hal", "ir", "kos", "lem", "nia")
_FIRST = ("Anna", "Boris", "Clara", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Katya", "Luis",
          "Mira", "Nikolai", "Olga", "Pavel", "Rosa", "Stefan", "Tamar", "Viktor", "Yusuf", "Zora")
_DEMANDS = ("withdraw its forces from {region}", "release the detained observers", "halt the exercises near {region}",
            "open talks without preconditions", "stop supplying the militias in {region}",
            "cancel the vote in {region}", "allow monitors into {region}", "pay the gas debt")
_CONSEQUENCES = ("sanctions on its banks", "the expulsion of its diplomats", "a halt to gas deliveries",
                 "military measures", "the suspension of talks", "an arms embargo")
_MEASURES = ("asset freezes", "visa bans", "an arms embargo", "export controls", "a ban on bond sales",
             "a halt to military cooperation")
_TERMS = ("a ceasefire", "prisoner exchanges", "monitors on the border", "a new constitution",
          "autonomy for {region}", "the withdrawal of heavy weapons", "elections within six months")
_SITES = ("the port", "the airbase", "the parliament building", "the television tower", "the border post",
          "the naval base", "the gas terminal", "the police headquarters", "the railway station", "the bridge")
_CITIES = ("Geneva", "Vienna", "Paris", "London", "Minsk", "Helsinki", "Oslo", "Astana", "Istanbul", "Rome")
_KINDS = ("statement", "statement", "statement", "optimistic", "pessimistic", "denial", "appeal", "intent_to_meet",
          "criticism", "accusation", "rejection")

#: Sentences of the wire digest, by type; every quote of a synthetic event is one of them.
_WIRE: dict[str, tuple[str, ...]] = {
    "statement": ("{a} said the situation remained tense but under control.",
                  "Officials in {a} declined to comment on the reports.",
                  "{a} accused {b} of spreading disinformation about the border.",
                  "A spokesman for {a} said the talks had been useful."),
    "talks": ("{a} and {b} met for talks on the crisis.", "{a} spoke with {b} by telephone on the crisis.",
              "Foreign ministers of {a} and {b} held another round of talks."),
    "proposal": ("{a} proposed a plan to end the standoff.", "{a} put forward new terms for a settlement."),
    "demand": ("{a} demanded that {b} withdraw its forces by the end of the week.",
               "{a} called on {b} to release the detained observers.",
               "{a} insisted that {b} halt its military exercises."),
    "demand_resolved": ("{b} rejected the demands of {a}.", "{b} agreed to the demands of {a}.",
                        "{a} dropped its demand for a withdrawal."),
    "threat": ("{a} warned of consequences if {b} went ahead.", "{a} threatened sanctions against {b}."),
    "deployment": ("{a} moved troops and armour towards the border.", "{a} sent fighter jets to the region."),
    "aid": ("{a} offered an aid package to {b}.", "{a} pledged loans to {b}."),
    "exercise": ("{a} began military exercises near the border.", "{a} launched snap drills involving thousands of troops."),
    "sanctions": ("{a} imposed sanctions on officials of {b}.", "{a} froze the assets of companies in {b}."),
    "seizure": ("Armed men seized {site}.", "Gunmen loyal to {a} took control of {site}."),
    "detention": ("Observers were detained by armed men in {region}.", "{a} detained a group of journalists."),
    "release": ("The detained observers were released.", "{a} freed the journalists it had held."),
    "agreement": ("{a} and {b} signed an agreement to de-escalate.", "The parties agreed on a ceasefire."),
    "referendum": ("A referendum was held in {region}.",),
    "ouster": ("Parliament removed the leader of {a} from office.",),
}
_VARIANTS = 12
"""Sentences per template in the digest (with different actors), so quotes vary."""


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3)))).capitalize()
        if name not in used and len(name) > 3:
            used.add(name)
            return name


def _actors(rng: random.Random) -> list[dict[str, Any]]:
    """60 states, 12 organisations, 28 groups and 100 people of those states: 200 actors."""
    used: set[str] = set()
    codes: set[str] = set()
    actors: list[dict[str, Any]] = []

    def code(base: str) -> str:
        base = "".join(c for c in base.upper() if c.isalpha())[:4] or "X"
        candidate, n = base, 1
        while candidate in codes:
            n += 1
            candidate = f"{base}{n}"
        codes.add(candidate)
        return candidate

    states = []
    for _ in range(60):
        name = _name(rng, used)
        states.append({"code": code(name[:3]), "name": name, "kind": "state"})
    actors.extend(states)
    for _ in range(12):
        name = f"{_name(rng, used)} Pact"
        actors.append({"code": code(name[:3] + "P"), "name": name, "kind": "organisation"})
    for _ in range(28):
        name = f"{_name(rng, used)} Front"
        actors.append({"code": code(name[:3] + "F"), "name": name, "kind": "group"})
    for i in range(100):
        state = states[i % len(states)]
        name = f"{rng.choice(_FIRST)} {_name(rng, used)}"
        actors.append({"code": code(name.split()[1]), "name": name, "kind": "person", "of": state["code"]})
    return actors


class _Wire:
    """The generated digest: sentences by type, each a verbatim quote events can cite."""

    def __init__(self, rng: random.Random, names: list[str], regions: list[str], sites: list[str]) -> None:
        self.lines = [f"SYNTHETIC WIRE DIGEST, {START.date().isoformat()}", "Vague dates: late in the month."]
        self.by_type: dict[str, list[str]] = {}
        seen = set(self.lines)
        for kind, templates in _WIRE.items():
            pool = self.by_type.setdefault(kind, [])
            for template in templates:
                for _ in range(_VARIANTS):
                    a, b = rng.sample(names, 2)
                    sentence = template.format(a=a, b=b, region=rng.choice(regions), site=rng.choice(sites))
                    if sentence not in seen:
                        seen.add(sentence)
                        pool.append(sentence)
                        self.lines.append(sentence)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def generate(events: int, seed: int = 0) -> dict[str, Any]:
    """A valid scenario of `events` documented events, as the data a scenario file holds."""
    if events < 1:
        raise ValueError("a scenario needs at least one event")
    rng = random.Random(seed)
    actors = _actors(rng)
    states = [a["code"] for a in actors if a["kind"] == "state"]
    people = [a for a in actors if a["kind"] == "person"]
    codes = [a["code"] for a in actors]
    regions = [f"{_name(rng, set())} region" for _ in range(40)]
    sites = [f"{site} of {region.split()[0]}" for region in regions[:30] for site in _SITES]
    wire = _Wire(rng, [a["name"] for a in actors], regions, sites)
    types, times = _plan(rng, events)
    head = {
        "scenario": {"id": f"synthetic-{events}-{seed}", "title": f"Synthetic crisis ({events:,} events, seed {seed})",
                     "seeds": None},
        "documents": [{"doc": WIRE, "dated": START.date().isoformat(), "quote": wire.lines[0],
                       "note": "generated by crisis synth"}],
        "model": {"half_life_days": 7, "impulse_per_goldstein": 1.0,
                  "conditions": {"sanctions": 1.5, "exercise": 2.0, "detention": 2.0, "occupation": 1.0}},
        "actors": actors,
    }
    return {"head": head, "wire": wire.text(),
            "events": _events(rng, types, times, codes, states, people, regions, sites, wire)}


def _plan(rng: random.Random, n: int) -> tuple[list[str], list[dt.datetime]]:
    """Types and times of all events, so threats can name later events as their conditions."""
    kinds, weights = list(MIX), list(MIX.values())
    types: list[str] = []
    open_demands = open_detentions = 0
    for kind in rng.choices(kinds, weights, k=n):
        if kind == "demand_resolved" and not open_demands or kind == "release" and not open_detentions:
            kind = "statement"
        open_demands += (kind == "demand") - (kind == "demand_resolved")
        open_detentions += (kind == "detention") - (kind == "release")
        types.append(kind)
    # About 300,000 events a month, as in news-coded data (gaps of 0 to 16 seconds), but
    # spread over 60 days at least, so that deadlines, durations and threats play out.
    scale = max(1, round(60 * 86_400 / 8 / n))
    seconds, times = 0, []
    for gap in rng.choices(range(17), k=n):
        seconds += gap * scale
        times.append(START + dt.timedelta(seconds=seconds))
    return types, times


def _day(moment: dt.datetime, days: int) -> str:
    return (moment + dt.timedelta(days=days)).date().isoformat()


def _events(rng: random.Random, types: list[str], times: list[dt.datetime], codes: list[str], states: list[str],
            people: list[dict], regions: list[str], sites: list[str], wire: _Wire) -> Iterator[dict[str, Any]]:
    n = len(types)
    ids = [f"{kind.replace('_', '-')}-{i}" for i, kind in enumerate(types)]
    open_demands: list[dict] = []
    open_detentions: list[dict] = []
    held: dict[str, str] = {}
    for i, (kind, at) in enumerate(zip(types, times)):
        a, b = rng.sample(codes, 2)
        event: dict[str, Any] = {"id": ids[i], "type": kind, "at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        fields: dict[str, Any] = {}
        title = kind
        if kind == "statement":
            fields = {"actor": a, "kind": rng.choice(_KINDS)}
            if rng.random() < 0.5:
                fields["target"] = b
            title = f"{a} makes a statement" + (f" on {b}" if "target" in fields else "")
        elif kind == "talks":
            mode = rng.choice(("meeting", "call"))
            fields = {"mode": mode, "participants": rng.sample(codes, rng.choice((2, 2, 3, 4)))}
            if mode == "meeting":
                fields["place"] = rng.choice(_CITIES)
            title = f"Talks ({mode}): " + ", ".join(fields["participants"])
        elif kind == "proposal":
            fields = {"actor": a, "terms": [t.format(region=rng.choice(regions)) for t in rng.sample(_TERMS, 2)],
                      "target": b}
            title = f"{a} proposes terms to {b}"
        elif kind == "demand":
            what = rng.choice(_DEMANDS).format(region=rng.choice(regions))
            fields = {"from": a, "to": b, "what": what}
            if rng.random() < 0.6:
                fields["deadline"] = _day(at, rng.randint(1, 14))
            open_demands.append({"id": ids[i], "from": a, "to": b})
            title = f"{a} demands that {b} {what}"
        elif kind == "demand_resolved":
            demand = open_demands.pop(rng.randrange(len(open_demands)))
            outcome = rng.choices(("met", "rejected", "withdrawn"), (35, 45, 20))[0]
            fields = {"demand": demand["id"], "outcome": outcome,
                      "actor": demand["from"] if outcome == "withdrawn" else demand["to"]}
            title = f"Demand {outcome}: {demand['id']}"
        elif kind == "threat":
            fields = {"actor": a, "target": b, "consequence": rng.choice(_CONSEQUENCES)}
            roll = rng.random()
            later = bisect.bisect_right(times, at + dt.timedelta(days=rng.uniform(0.1, 40)))
            if roll < 0.6 and later < n:
                fields["condition"] = ids[later]
                fields["condition_text"] = f"if {types[later].replace('_', ' ')} {ids[later]} happens"
            elif roll < 0.7 and i > 0:
                fields["condition"] = ids[rng.randrange(i)]
            if "condition" in fields and rng.random() < 0.5:
                fields["by"] = _day(at, rng.randint(2, 30))
            title = f"{a} threatens {b} with {fields['consequence']}"
        elif kind == "deployment":
            fields = {"actor": rng.choice(states), "region": rng.choice(regions)}
            if rng.random() < 0.6:
                fields["troops"] = rng.randrange(500, 40_000, 500)
                fields["estimate"] = rng.random() < 0.3
            else:
                fields["assets"] = rng.choice(("fighter jets", "warships", "air defences", "armoured vehicles"))
            title = f"{fields['actor']} deploys forces to {fields['region']}"
        elif kind == "aid":
            fields = {"actor": a, "to": b, "amount": f"${rng.randint(1, 40) * 100} million"}
            title = f"{a} offers aid to {b}"
        elif kind == "exercise":
            fields = {"actor": rng.choice(states), "region": rng.choice(regions)}
            if rng.random() < 0.7:
                fields["troops"] = rng.randrange(1000, 80_000, 1000)
            if rng.random() < 0.85:
                fields["duration_days"] = rng.choice((1, 2, 3, 5, 7, 10, 14, 21, 2.5, 0.5))
            title = f"{fields['actor']} holds an exercise in {fields['region']}"
        elif kind == "sanctions":
            fields = {"actor": a, "against": b, "measures": rng.sample(_MEASURES, rng.randint(1, 3))}
            if rng.random() < 0.4:
                fields["targets"] = [f"officials of {b}"]
            title = f"{a} imposes sanctions on {b}"
        elif kind == "seizure":
            site = rng.choice(sites)
            fields = {"site": site, "to": a}
            if site in held:
                fields["from"] = held[site]
            fields["region"] = site.split(" of ")[-1] + " region"
            if rng.random() < 0.1:
                fields["partial"] = True
            held[site] = a
            title = f"{a} seizes {site}"
        elif kind == "detention":
            count = rng.randint(1, 40)
            fields = {"actor": a, "detained": f"{count} observers", "count": count, "place": rng.choice(regions)}
            open_detentions.append({"id": ids[i], "actor": a})
            title = f"{a} detains {count} observers"
        elif kind == "release":
            detention = open_detentions.pop(rng.randrange(len(open_detentions)))
            fields = {"detention": detention["id"], "actor": detention["actor"]}
            title = f"Release: {detention['id']}"
        elif kind == "agreement":
            fields = {"parties": rng.sample(codes, rng.choice((2, 3))), "terms": ["a ceasefire"],
                      "place": rng.choice(_CITIES)}
            title = "Agreement: " + ", ".join(fields["parties"])
        elif kind == "referendum":
            fields = {"region": rng.choice(regions), "actor": a, "question": "independence"}
            title = f"Referendum in {fields['region']}"
        elif kind == "ouster":
            person = rng.choice(people)
            fields = {"ousted": person["code"], "actor": person["of"], "office": "head of government"}
            title = f"{person['name']} is ousted"
        event["title"] = title[:80]
        if rng.random() < 0.05:
            event["summary"] = f"Reported by the wire on {at.date().isoformat()}."
        if rng.random() < 0.01:
            event["window"] = {"earliest": _day(at, -3), "latest": _day(at, 3), "doc": WIRE,
                               "quote": "late in the month"}
        if i > 0 and rng.random() < 0.05:
            event["because"] = [ids[rng.randrange(max(0, i - 100), i)]]
        if kind == "statement" and rng.random() < 0.02:
            event["cameo"] = "14"  # a protest, scored by its own code
        event.update(fields)
        if rng.random() < 0.1:
            event["sources"] = [{"ref": f"Synthetic Wire Service, {at.date().isoformat()}"}]
        else:
            event["sources"] = [{"doc": WIRE, "quote": rng.choice(wire.by_type[kind])}]
        yield event


def write(path: str | Path, events: int, seed: int = 0) -> Path:
    """Write a synthetic scenario to `path` (`.jsonl`: JSON Lines, else YAML) and its seed digest beside it."""
    path = Path(path)
    data = generate(events, seed)
    seeds = path.with_name(f"{path.stem}-seeds")
    data["head"]["scenario"]["seeds"] = seeds.name
    atomic_write(seeds / WIRE, data["wire"].encode("utf-8"))
    writer = _write_jsonl if path.suffix == ".jsonl" else _write_yaml
    atomic_write(path, lambda tmp: writer(tmp, data["head"], data["events"]))
    return path


def _write_jsonl(tmp: Path, head: dict, events: Iterator[dict]) -> None:
    from .jsonl import FORMAT

    dumps: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with tmp.open("w", encoding="utf-8", newline="\n") as out:
        out.write(dumps({"format": FORMAT, **head}) + "\n")
        out.writelines(dumps(event) + "\n" for event in events)


def _write_yaml(tmp: Path, head: dict, events: Iterator[dict]) -> None:
    with tmp.open("w", encoding="utf-8", newline="\n") as out:
        out.write("# generated by crisis synth\n")
        yaml.safe_dump(head, out, sort_keys=False, allow_unicode=True, width=120)
        out.write("events:\n")
        for event in events:
            out.write(yaml.safe_dump([event], sort_keys=False, allow_unicode=True, width=120, default_flow_style=None))


def _command():
    import click

    @click.command("synth")
    @click.option("--events", "events", type=click.IntRange(min=1), required=True,
                  help="How many documented events to generate (derived ones come on top when replayed).")
    @click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed gives the same bytes.")
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="Scenario file to write: .jsonl (JSON Lines, fast to load) or .yaml.")
    def synth_cmd(events: int, seed: int, output: Path) -> None:
        """Write a synthetic scenario of N events over 200 actors, with its seed digest beside it."""
        write(output, events, seed)
        click.echo(f"wrote {output} ({events:,} events, seed {seed}) and {output.with_name(output.stem + '-seeds')}/{WIRE}")

    return synth_cmd


synth_cmd = _command()

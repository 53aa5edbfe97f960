"""engine.cameo: the built-in Goldstein scores are GDELT's, and every type's codes are built in."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import cameo
from engine import events as ev

REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "CAMEO.goldsteinscale.txt"


def _reference() -> dict[str, float]:
    if not REFERENCE.is_file():
        pytest.skip(f"GDELT's Goldstein table is not here ({REFERENCE})")
    table: dict[str, float] = {}
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    assert lines[0].split() == ["CAMEOEVENTCODE", "GOLDSTEINSCALE"]
    for line in lines[1:]:
        if line.strip():
            code, score = line.split()
            table[code] = float(score)
    return table


def test_goldstein_scores_match_the_reference_table():
    table = _reference()
    assert len(table) > 200  # the whole table was read, not a fragment
    wrong = {code: (score, table.get(code)) for code, (_, score) in cameo.CODES.items() if table.get(code) != score}
    assert wrong == {}


def test_codes_keep_their_leading_zeros():
    table = _reference()
    assert set(cameo.CODES) <= set(table)
    assert "0831" in cameo.CODES and "831" not in cameo.CODES


def _type_codes() -> list[tuple[str, str]]:
    pairs = []
    for name, cls in ev.ALL_TYPES.items():
        pairs.append((f"{name}.DEFAULT_CAMEO", cls.DEFAULT_CAMEO))
        for table in ("CAMEO_BY_MODE", "CAMEO_BY_KIND", "CAMEO_BY_OUTCOME"):
            for key, code in getattr(cls, table, {}).items():
                pairs.append((f"{name}.{table}[{key}]", code))
    return pairs


@pytest.mark.parametrize("where, code", _type_codes(), ids=[w for w, _ in _type_codes()])
def test_every_code_a_type_uses_is_built_in(where, code):
    assert code in cameo.CODES
    assert cameo.goldstein(code) is not None


def test_lookup_helpers():
    assert cameo.goldstein("192") == -9.5
    assert cameo.goldstein("9999") is None
    assert cameo.name("041") == "Discuss by telephone"
    assert cameo.name("9999") == "CAMEO 9999"


def test_default_cameo_refines_by_mode_kind_and_outcome():
    assert ev.default_cameo(ev.Talks, {"mode": "call"}) == "041"
    assert ev.default_cameo(ev.Talks, {"mode": "meeting"}) == "044"
    assert ev.default_cameo(ev.Statement, {"kind": "rejection"}) == "120"
    assert ev.default_cameo(ev.Statement, {}) == "010"
    assert ev.default_cameo(ev.DemandResolved, {"outcome": "rejected"}) == "120"
    assert ev.default_cameo(ev.DemandResolved, {"outcome": "withdrawn"}) == "080"
    assert ev.default_cameo(ev.Seizure, {}) == "192"

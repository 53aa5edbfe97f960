"""The CAMEO event codes this engine uses, with GDELT's Goldstein scores.

Only the codes the event types map to live here (the full table belongs to GDELT and
is read from ../shared/reference by a test that checks these values against it). A
scenario may name any other code, but then it must give the Goldstein score itself.
"""
from __future__ import annotations

#: code -> (name, Goldstein score)
CODES: dict[str, tuple[str, float]] = {
    "010": ("Make statement", 0.0),
    "012": ("Make pessimistic comment", -0.4),
    "013": ("Make optimistic comment", 0.4),
    "016": ("Deny responsibility", -2.0),
    "020": ("Make an appeal or request", 3.0),
    "03": ("Express intent to cooperate", 4.0),
    "036": ("Express intent to meet or negotiate", 4.0),
    "041": ("Discuss by telephone", 1.0),
    "044": ("Meet at a third location", 2.5),
    "057": ("Sign formal agreement", 8.0),
    "071": ("Provide economic aid", 7.4),
    "080": ("Yield", 5.0),
    "0831": ("Accede to demands for change in leadership", 5.0),
    "0841": ("Return, release person(s)", 7.0),
    "100": ("Demand", -5.0),
    "111": ("Criticize or denounce", -2.0),
    "112": ("Accuse", -2.0),
    "12": ("Reject", -4.0),
    "120": ("Reject", -4.0),
    "130": ("Threaten", -4.4),
    "14": ("Protest", -6.5),
    "150": ("Demonstrate military or police power", -7.2),
    "154": ("Mobilize or increase armed forces", -7.2),
    "163": ("Impose embargo, boycott, or sanctions", -8.0),
    "173": ("Arrest, detain", -5.0),
    "181": ("Abduct, hijack, or take hostage", -9.0),
    "192": ("Occupy territory", -9.5),
}


def goldstein(code: str) -> float | None:
    """Goldstein score of a known code, or None when the code is not in this subset."""
    entry = CODES.get(code)
    return entry[1] if entry else None


def name(code: str) -> str:
    """Human name of a code ("CAMEO 1234" when it is not in this subset)."""
    entry = CODES.get(code)
    return entry[0] if entry else f"CAMEO {code}"

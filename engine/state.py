"""The state of a crisis at one moment: frozen values, derived from the event log only."""
from __future__ import annotations

import datetime as dt

import attrs


@attrs.frozen(kw_only=True)
class DemandState:
    """A demand and where it stands."""

    id: str
    from_: str
    to: str
    what: str
    since: dt.datetime
    deadline: dt.datetime | None = None
    status: str = "open"
    """open | met | rejected | withdrawn"""
    overdue: bool = False
    """True once its deadline passed while it was open."""
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    """Id of the event that resolved it."""


@attrs.frozen(kw_only=True)
class SanctionsState:
    """A sanctions package in force."""

    id: str
    actor: str | None
    against: str
    measures: tuple[str, ...]
    targets: tuple[str, ...]
    since: dt.datetime


@attrs.frozen(kw_only=True)
class ThreatState:
    """A threat and whether its condition has come."""

    id: str
    actor: str | None
    consequence: str
    condition: str | None
    since: dt.datetime
    status: str = "pending"
    """pending | triggered | lapsed"""


@attrs.frozen(kw_only=True)
class DeploymentState:
    """Forces sent somewhere (deployments, and exercises while they last)."""

    id: str
    actor: str | None
    region: str
    troops: int | None
    assets: str | None
    since: dt.datetime
    exercise: bool = False
    until: dt.datetime | None = None
    """For an exercise with a known duration: when it ends."""
    estimate: bool = False


@attrs.frozen(kw_only=True)
class DetentionState:
    """People held, from their detention until a release."""

    id: str
    actor: str | None
    detained: str
    count: int | None
    place: str | None
    since: dt.datetime


@attrs.frozen(kw_only=True)
class ControlState:
    """Who holds a site or region, since which event."""

    site: str
    controller: str
    previous: str | None
    since: dt.datetime
    by: str
    """Id of the seizure that changed hands."""
    partial: bool = False
    region: str | None = None


@attrs.frozen(kw_only=True)
class TalksState:
    """A meeting or call that was held."""

    id: str
    mode: str
    participants: tuple[str, ...]
    place: str | None
    at: dt.datetime


@attrs.frozen(kw_only=True)
class State:
    """Everything known at `time`, after applying the log up to `seq`."""

    time: dt.datetime | None = None
    """Moment of the last event applied (None before the first)."""
    seq: int = -1
    """Log position of the last event applied."""
    last: str | None = None
    """Id of the last event applied."""
    impulse: float = 0.0
    """Decayed sum of event impulses, as of `time` (the non-steady part of tension)."""
    pressure: float = 0.0
    """Steady pressure from conditions in force (sanctions, exercises, detentions, occupations)."""
    demands: tuple[DemandState, ...] = ()
    sanctions: tuple[SanctionsState, ...] = ()
    threats: tuple[ThreatState, ...] = ()
    deployments: tuple[DeploymentState, ...] = ()
    detentions: tuple[DetentionState, ...] = ()
    control: tuple[ControlState, ...] = ()
    talks: tuple[TalksState, ...] = ()
    ousted: tuple[str, ...] = ()

    @property
    def tension(self) -> float:
        """Tension at `time`: decayed impulses plus steady pressure."""
        return self.impulse + self.pressure

    @property
    def open_demands(self) -> tuple[DemandState, ...]:
        return tuple(d for d in self.demands if d.status == "open")

    @property
    def exercises(self) -> tuple[DeploymentState, ...]:
        return tuple(d for d in self.deployments if d.exercise)

    @property
    def troops(self) -> dict[str, int]:
        """Troop numbers by actor, summed over deployments and exercises that give one."""
        totals: dict[str, int] = {}
        for d in self.deployments:
            if d.troops and d.actor:
                totals[d.actor] = totals.get(d.actor, 0) + d.troops
        return dict(sorted(totals.items()))

"""crisis: replay documented crises as typed, source-cited events; derive state by pure reducers."""
from .api import moment, replay
from .cursor import CursorError, Replay, load
from .errors import CrisisError, DateError, Problem, ReplayError, ScenarioError
from .project import fold, scan, step, tension_at
from .query import QueryError
from .reader import load_scenario
from .scenario import Actor, Model, Scenario
from .sim import Log, simulate
from .state import State
from .timeline import Timeline, build, explain

__all__ = [
    "Actor", "CrisisError", "DateError", "Log", "Model", "Problem", "ReplayError", "Scenario", "ScenarioError",
    "State", "Timeline", "build", "explain", "fold", "load_scenario", "moment", "replay", "scan", "simulate",
    "step", "tension_at",
    "CursorError", "QueryError", "Replay", "load",
]

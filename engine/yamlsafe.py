"""Safe YAML loading that remembers where each node came from.

PyYAML's SafeLoader never builds Python objects from tags, but it forgets line numbers
and silently accepts duplicate keys. Scenario authors need `file:line` for every
problem, so mappings and sequences come back as dict/list subclasses carrying the line
of each key and item.
"""
from __future__ import annotations

from typing import Any

import yaml

from .errors import Problem
from .limits import MAX_ALIASES, MAX_DEPTH, MAX_NODES

# Dates stay strings: PyYAML would turn 2014-02-30 into a traceback, and we want to
# report impossible dates at their line with our own message.
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class Mapping(dict):
    """A YAML mapping with the line of the mapping and of each key."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict = {}
        self.value_lines: dict = {}

    def line_of(self, key: str) -> int:
        """Line of `key`'s value, else of the mapping itself."""
        return self.value_lines.get(key, self.line)


class Sequence(list):
    """A YAML sequence with the line of the sequence and of each item."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.line = 0
        self.item_lines: list = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class LimitExceeded(yaml.MarkedYAMLError):
    """The document is too deep, too large once aliases are expanded, or has too many aliases."""


class _Loader(yaml.SafeLoader):
    """SafeLoader with line-carrying containers, no implicit timestamps, and bounded size.

    PyYAML shares the node behind an alias instead of copying it, so a "billion laughs"
    file costs nothing to parse; the cost comes later, in whatever walks the data as a
    tree. Composing therefore keeps the size of every node as if aliases were expanded,
    and stops as soon as one is too large, before anything walks it.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str, filename: str) -> None:
        super().__init__(stream)
        self.filename = filename
        self.problems: list[Problem] = []
        self._depth = 0
        self._aliases = 0
        self._sizes: dict[int, int] = {}  # id(node) -> expanded size; nodes live as long as the loader

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise LimitExceeded(problem=f"too many aliases: more than {MAX_ALIASES:,}", problem_mark=event.start_mark)
        elif self._depth >= MAX_DEPTH:
            raise LimitExceeded(problem=f"too deeply nested: more than {MAX_DEPTH} levels", problem_mark=event.start_mark)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if id(node) not in self._sizes:
            if isinstance(event, yaml.AliasEvent):  # names a node still being composed: it contains itself
                raise LimitExceeded(problem=f"recursive alias: *{event.anchor} refers to a node that contains it",
                                    problem_mark=event.start_mark)
            self._sizes[id(node)] = self._size(node)
        if self._sizes[id(node)] > MAX_NODES:
            raise LimitExceeded(problem=f"too large: more than {MAX_NODES:,} values once aliases are"
                                        " expanded (an alias bomb?)", problem_mark=event.start_mark)
        return node

    def _size(self, node: yaml.Node) -> int:
        if isinstance(node, yaml.MappingNode):
            return 1 + sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        if isinstance(node, yaml.SequenceNode):
            return 1 + sum(self._sizes[id(child)] for child in node.value)
        return 1

    def construct_located_mapping(self, node: yaml.MappingNode) -> Mapping:
        self.flatten_mapping(node)
        result = Mapping()
        result.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) or key is None:
                self.problems.append(Problem(file=self.filename, line=line, message="a key must be a plain word"))
                continue
            if key in result:
                self.problems.append(
                    Problem(file=self.filename, line=line, message=f"duplicate key '{key}' (first at line {result.key_lines[key]})")
                )
                continue
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = line
            result.value_lines[key] = value_node.start_mark.line + 1
        return result

    def construct_located_sequence(self, node: yaml.SequenceNode) -> Sequence:
        result = Sequence(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_located_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_located_sequence)


def load_yaml(text: str, filename: str) -> tuple[Any, list[Problem]]:
    """Parse `text` safely; return the data (None if unreadable) and the problems found."""
    try:
        loader = _Loader(text, filename)
    except yaml.reader.ReaderError as exc:  # the whole text is checked for unprintable characters first
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character
        escape = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
        message = f"malformed YAML: character U+{code:04X} is not allowed (inside double quotes, write it as {escape})"
        return None, [Problem(file=filename, line=line, message=message)]
    try:
        data = loader.get_single_data()
    except LimitExceeded as exc:
        line = exc.problem_mark.line + 1
        return None, [*loader.problems, Problem(file=filename, line=line, message=exc.problem)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "malformed YAML"
        if exc.context_mark is not None and exc.context and exc.context.startswith("while scanning"):
            # an unclosed quote or block fails at the end of the file; where it opens is what to fix
            found = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark is not None else ""
            what = f"{exc.context[len('while '):]} that starts here: {what}{found}"
            mark = exc.context_mark
        line = min(mark.line + 1, text.count("\n") + 1) if mark else 0
        if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in what:
            what = f"YAML tag refused (tags that build objects are not allowed): {what}"
        return None, [*loader.problems, Problem(file=filename, line=line, message=f"malformed YAML: {what}")]
    except yaml.YAMLError as exc:
        return None, [*loader.problems, Problem(file=filename, line=0, message=f"malformed YAML: {exc}")]
    finally:
        loader.dispose()
    return data, loader.problems

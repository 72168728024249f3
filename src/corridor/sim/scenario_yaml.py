"""Reading a scenario's YAML while keeping where every value came from.

Validation reports problems as ``FILE:LINE:COL: where.in.file: what is wrong``. Pydantic and the
semantic checks know *where in the data* a problem is (a ``loc`` such as ``("posts", 3, "id")``);
this module maps such a path back to a line and column by walking the YAML node tree that
``yaml.compose`` builds, the same tree the data was constructed from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from corridor.errors import ScenarioError

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario file: where in the data, and what."""

    loc: Loc
    message: str
    at: tuple[int, int] | None = None  # (line, column) when ``loc`` alone cannot tell


def where(loc: Sequence[str | int]) -> str:
    """``("posts", 3, "id")`` -> ``posts[3].id``; the empty path is the whole document."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "document"


@dataclass(frozen=True)
class YamlDocument:
    """A parsed scenario file: its data, its node tree and the name to report it under."""

    name: str
    data: Any
    root: yaml.Node

    def position(self, loc: Sequence[str | int]) -> tuple[int, int]:
        """1-based (line, column) of the value at ``loc``, or of its nearest existing parent.

        When the last step is a mapping key we point at the key, not the value: for a block value
        (``traffic:`` followed by indented lines) the key's line is where a reader looks.
        """
        node: yaml.Node = self.root
        mark = node.start_mark
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            mark = (key_node or node).start_mark
        return mark.line + 1, mark.column + 1

    def format(self, problem: Problem) -> str:
        """``FILE:LINE:COL: where: message``."""
        line, col = problem.at or self.position(problem.loc)
        return f"{self.name}:{line}:{col}: {where(problem.loc)}: {problem.message}"

    def duplicate_keys(self) -> list[Problem]:
        """Keys given twice in one mapping: YAML keeps the last silently, we refuse both."""
        problems: list[Problem] = []
        _find_duplicates(self.root, (), problems)
        return problems


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                return key_node, value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return None, node.value[part]
    return None


def _find_duplicates(node: yaml.Node, loc: Loc, out: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                out.append(
                    Problem(
                        (*loc, key),
                        f"key given twice (first on line {seen[key]}); YAML keeps only the last",
                        # loc alone would find the first occurrence; point at this one
                        at=(key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                    )
                )
            else:
                seen[key] = key_node.start_mark.line + 1
            _find_duplicates(value_node, (*loc, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _find_duplicates(item, (*loc, index), out)


def read_yaml(path: str | Path) -> YamlDocument:
    """Read and parse ``path``; :class:`ScenarioError` if it is missing, unreadable or not YAML."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ScenarioError(name, [f"{name}: no such file"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(name, [f"{name}: cannot read the file: {exc}"]) from exc
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlDocument:
    """Parse ``text`` into data plus node tree, reporting syntax errors with their position."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        # Construct the data from the very tree we will use for positions, so the two agree.
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError(name, [_syntax_problem(name, exc)]) from exc
    except (yaml.YAMLError, ValueError) as exc:
        # e.g. a date such as 2021-02-30 matches YAML's timestamp form but is no date
        raise ScenarioError(name, [f"{name}:1:1: document: not valid YAML: {exc}"]) from exc
    finally:
        loader.dispose()
    if root is None:
        raise ScenarioError(name, [f"{name}:1:1: document: the file is empty"])
    return YamlDocument(name=name, data=data, root=root)


def _syntax_problem(name: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    what = " ".join(part for part in (exc.context, exc.problem) if part) or "syntax error"
    return f"{name}:{line}:{col}: document: not valid YAML: {what}"

"""Safe YAML for files trainers edit by hand: the C safe loader, no aliases, no duplicate keys, a size cap, and
problems reported as FILE:LINE: message with the line of the offending key or item.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_BANK_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class FileChecker:
    """Validates one parsed file; records problems with the line of the offending key or item."""

    def __init__(self, name: str, root_node: yaml.Node):
        self.name = name
        self.root = root_node
        self.problems: list[Problem] = []

    def line_of(self, path: tuple) -> int:
        node = self.root
        line = node.start_mark.line + 1
        for step in path:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == step:
                        line, node = key_node.start_mark.line + 1, value_node
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                node = node.value[step]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    def add(self, path: tuple, message: str) -> None:
        self.problems.append(Problem(self.name, self.line_of(path), message))

    def text(self, data: dict, key: str, path: tuple, required: bool = True) -> str | None:
        if key not in data:
            if required:
                self.add(path, f"missing required field '{key}'")
            return None
        value = data[key]
        if not isinstance(value, str):
            self.add(path + (key,), f"'{key}' must be text, not {kind_of(value)}")
            return None
        if not value.strip():
            self.add(path + (key,), f"'{key}' is empty")
            return None
        return value

    def text_list(self, data: dict, key: str, path: tuple, minimum: int, maximum: int | None = None,
                  allow_empty_list: bool = False) -> tuple[str, ...] | None:
        if key not in data:
            self.add(path, f"missing required field '{key}'")
            return None
        value = data[key]
        if not isinstance(value, list):
            self.add(path + (key,), f"'{key}' must be a list, not {kind_of(value)}")
            return None
        ok = True
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.add(path + (key, i), f"'{key}' item {i + 1} must be non-empty text")
                ok = False
        if not ok:
            return None
        if len(set(value)) != len(value):
            dupes = sorted({v for v in value if value.count(v) > 1})
            self.add(path + (key,), f"'{key}' has duplicates: {', '.join(repr(d) for d in dupes)}")
            return None
        if len(value) < minimum and not (allow_empty_list and not value):
            self.add(path + (key,), f"'{key}' needs at least {minimum} entries, has {len(value)}")
            return None
        if maximum is not None and len(value) > maximum:
            self.add(path + (key,), f"'{key}' allows at most {maximum} entries, has {len(value)}")
            return None
        return tuple(value)

    def unknown_keys(self, data: dict, allowed: set[str], path: tuple, what: str) -> None:
        for key in data:
            if key not in allowed:
                hint = _closest(str(key), allowed)
                self.add(path + (key,), f"unknown key '{key}' in {what}" + (f" (did you mean '{hint}'?)" if hint else ""))


def kind_of(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number", type(None): "empty"}.get(type(value), type(value).__name__)


def _closest(word: str, choices: set[str]) -> str | None:
    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.75)
    return found[0] if found else None


def _alias_lines(text: str) -> list[int]:
    return [event.start_mark.line + 1 for event in yaml.parse(text, Loader=SafeLoader)
            if isinstance(event, yaml.AliasEvent)]


class _AliasUsed(Exception):
    pass


class _RefuseAliases(dict):
    """The constructor reads this cache only when a node is met twice, which is what an alias is."""

    def __getitem__(self, node):
        raise _AliasUsed(node)


class _DuplicateKey(Exception):
    def __init__(self, key_node):
        self.key_node = key_node


class _BankLoader(SafeLoader):
    """The C safe loader, refusing what PyYAML would accept silently: aliases and duplicate mapping keys."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
            if len(set(keys)) != len(keys):
                seen: set = set()
                for key_node, _ in node.value:
                    if key_node.value in seen:
                        raise _DuplicateKey(key_node)
                    seen.add(key_node.value)
        return super().construct_mapping(node, deep)


def parse_yaml(name: str, raw: bytes) -> tuple[Any, yaml.Node | None, list[Problem]]:
    """Decode and parse one file safely: (data, root node, problems). Data is None when it cannot be used."""
    if len(raw) > MAX_BANK_BYTES:
        return None, None, [Problem(name, 1, f"file is larger than {MAX_BANK_BYTES // (1024 * 1024)} MB; split it")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, None, [Problem(name, line, "file is not UTF-8 text; save it as UTF-8")]
    try:
        loader = _BankLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None, None, [Problem(name, 1, "file is empty")]
            loader.constructed_objects = _RefuseAliases()
            data = loader.construct_document(root)
        except _AliasUsed:
            return None, root, [Problem(name, line, "YAML aliases (*name) are not allowed") for line in _alias_lines(text)]
        except _DuplicateKey as duplicate:
            key = duplicate.key_node
            return None, root, [Problem(name, key.start_mark.line + 1, f"duplicate key '{key.value}'")]
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        return None, None, [Problem(name, line, f"YAML syntax error: {error.problem or error.context}")]
    except yaml.YAMLError as error:
        return None, None, [Problem(name, 1, f"YAML error: {error}")]
    return data, root, []

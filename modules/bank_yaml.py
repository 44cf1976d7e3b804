"""Safe YAML for files trainers edit by hand: the C safe loader, no aliases, no duplicate keys, a size cap, a
nesting cap, and problems reported as FILE:LINE: message with the line of the offending key or item.

No file can crash the process that reads it: the C loader builds its node tree by recursing in C, so a file of
30,000 `[` overflows the stack (SIGSEGV, issue #13). The nesting is therefore measured first on the parser's event
stream, which libyaml produces without recursion, and stops at the first level past the cap. A value a tag's
constructor cannot read (`!!int abc`, a 13th month) is a problem on its line, not a ValueError.

The schemas themselves are pydantic models (`modules.bank_models`, `modules.policy`); this module turns their
errors into plain sentences and finds the line each one points at.
"""

from __future__ import annotations

import difflib
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic_core import ErrorDetails

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The largest live bank is under 80 KB; a megabyte is ten times more than any module needs, yet small enough
# that a bank cannot stall a page (a 9.9 MB bank once took a Learn page 57 s).
MAX_BANK_BYTES = 1024 * 1024
# A module file is five levels deep (file, questions, question, pairs, ...); the cap only stops hostile files.
MAX_DEPTH = 32
# A text field must hold something besides white space; the pattern runs inside pydantic-core, so it is cheap.
TEXT_PATTERN = r"\S"

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def line_of(root: yaml.Node | None, path: Loc) -> int:
    """The line of the key or item at `path`; as deep as the path exists, so a missing key gives its parent."""
    if root is None:
        return 1
    node = root
    line = node.start_mark.line + 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            if step not in _keys(node):
                return line
            line, node = _keys(node)[step]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _keys(node: yaml.MappingNode) -> dict[object, tuple[int, yaml.Node]]:
    """Key -> (line, value node), built once per mapping: a file with 50,000 bad keys must not cost 50,000 scans."""
    if "_keys" not in node.__dict__:
        keys: dict[object, tuple[int, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                keys.setdefault(key_node.value, (key_node.start_mark.line + 1, value_node))
        node.__dict__["_keys"] = keys
    found: dict[object, tuple[int, yaml.Node]] = node.__dict__["_keys"]
    return found


def kind_of(value: object) -> str:
    kinds: dict[type, str] = {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
                              float: "a number", type(None): "empty"}
    return kinds.get(type(value), type(value).__name__)


def closest(word: str, choices: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.75)
    return found[0] if found else None


def unknown_key(key: object, allowed: Iterable[str], what: str) -> str:
    hint = closest(str(key), allowed)
    return f"unknown key '{key}' in {what}" + (f" (did you mean '{hint}'?)" if hint else "")


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def describe(field: str, inner: Loc, error: ErrorDetails) -> str:
    """Plain English for an error about the value of `field`, or about one of its items when `inner` is not empty.

    Structural errors (missing or unknown keys, the question type, custom cross-field rules) are phrased by the
    schema's own module; everything here is about a single value.
    """
    kind, ctx, value = error["type"], error.get("ctx", {}), error["input"]
    if inner and kind in ("string_type", "string_pattern_mismatch"):
        # A mapping's loc goes on with the key (and "[key]" when the key itself is wrong), a list's with an index.
        if "[key]" in inner or isinstance(inner[0], str):
            return f"every pair in '{field}' must be non-empty text on both sides"
        return f"'{field}' item {int(inner[0]) + 1} must be non-empty text"
    if kind == "string_type":
        return f"'{field}' must be text, not {kind_of(value)}"
    if kind == "string_pattern_mismatch":
        return f"'{field}' is empty" if ctx.get("pattern") == TEXT_PATTERN else f"'{field}' is not in the expected form"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"'{field}' must be a whole number"
    if kind in ("bool_type", "bool_parsing"):
        return f"'{field}' must be true or false"
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"'{field}' must be {expected}"
    if kind in ("list_type", "tuple_type"):
        return f"'{field}' must be a list, not {kind_of(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"'{field}' must be a mapping, not {kind_of(value)}"
    if kind == "too_short":
        return f"'{field}' needs at least {_entries(ctx['min_length'])}, has {ctx['actual_length']}"
    if kind == "string_too_long":
        return f"'{field}' allows at most {ctx['max_length']:,} characters, has {len(str(value)):,}"
    if kind == "too_long":
        return f"'{field}' allows at most {_entries(ctx['max_length'])}, has {ctx['actual_length']}"
    if kind == "greater_than_equal":
        return f"'{field}' must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"'{field}' must be at most {ctx['le']}"
    if kind == "duplicates":
        return f"'{field}' has duplicates: {ctx['duplicates']}"
    if kind == "missing":
        return f"missing required field '{field}'"
    return f"'{field}' has a value that is not allowed here"


def _too_deep(text: str) -> int | None:
    """The line where nesting first goes past MAX_DEPTH, or None; reads events only as far as that line."""
    depth = 0
    for event in yaml.parse(text, Loader=SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return event.start_mark.line + 1 if event.start_mark is not None else 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _alias_lines(text: str) -> list[int]:
    return [event.start_mark.line + 1 for event in yaml.parse(text, Loader=SafeLoader)
            if isinstance(event, yaml.AliasEvent) and event.start_mark is not None]


class _AliasUsed(Exception):
    pass


class _RefuseAliases(dict[Hashable, Any]):
    """The constructor reads this cache only when a node is met twice, which is what an alias is."""

    def __getitem__(self, node: Hashable) -> Any:
        raise _AliasUsed(node)


class _Unreadable(Exception):
    def __init__(self, node: yaml.Node) -> None:
        super().__init__(node.tag)
        self.node = node

    def message(self) -> str:
        kinds = {"int": "a whole number", "float": "a number", "bool": "true/false", "timestamp": "a date"}
        tag = str(self.node.tag).rsplit(":", 1)[-1]
        value = str(self.node.value)
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"cannot read '{shown}' as {kinds.get(tag, tag)}; put it in quotes if it is text"


class _DuplicateKey(Exception):
    def __init__(self, key_node: yaml.Node) -> None:
        super().__init__(key_node.value)
        self.key_node = key_node


class _BankLoader(SafeLoader):  # type: ignore[valid-type, misc]
    """The C safe loader, refusing what PyYAML would accept silently: aliases and duplicate mapping keys."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # SafeConstructor lets Python's own errors out: int("abc") for `!!int abc`, date(2024, 13, 45) for 2024-13-45,
        # an AttributeError for `!!timestamp text`. Ours and YAML's pass through; any other is this node's fault.
        try:
            return super().construct_object(node, deep)
        except (yaml.YAMLError, _AliasUsed, _DuplicateKey, _Unreadable):
            raise
        except Exception as error:
            raise _Unreadable(node) from error

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Hashable, Any]:
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
            if len(set(keys)) != len(keys):
                seen: set[object] = set()
                for key_node in (k for k, _ in node.value if isinstance(k, yaml.ScalarNode)):
                    if key_node.value in seen:
                        raise _DuplicateKey(key_node)
                    seen.add(key_node.value)
        result: dict[Hashable, Any] = super().construct_mapping(node, deep)
        return result


def parse_yaml(name: str, raw: bytes) -> tuple[Any, yaml.Node | None, list[Problem]]:
    """Decode and parse one file safely: (data, root node, problems). Data is None when it cannot be used."""
    if len(raw) > MAX_BANK_BYTES:
        return None, None, [Problem(name, 1, f"file is larger than {MAX_BANK_BYTES // (1024 * 1024)} MB; split it")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, None, [Problem(name, line, "file is not UTF-8 text; save it as UTF-8")]
    root: yaml.Node | None = None
    try:
        deep_line = _too_deep(text)
        if deep_line is not None:
            return None, None, [Problem(name, deep_line, f"nesting deeper than {MAX_DEPTH} levels")]
        loader = _BankLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None, None, [Problem(name, 1, "file is empty")]
            loader.constructed_objects = _RefuseAliases()
            data = loader.construct_document(root)
        except _AliasUsed:
            return None, root, [Problem(name, line, "YAML aliases (*name) are not allowed")
                                for line in _alias_lines(text)]
        except _Unreadable as unreadable:
            return None, root, [Problem(name, unreadable.node.start_mark.line + 1, unreadable.message())]
        except _DuplicateKey as duplicate:
            key = duplicate.key_node
            return None, root, [Problem(name, key.start_mark.line + 1, f"duplicate key '{key.value}'")]
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return None, None, [Problem(name, mark.line + 1 if mark is not None else 1,
                                    f"YAML syntax error: {error.problem or error.context}")]
    except yaml.YAMLError as error:
        return None, None, [Problem(name, 1, f"YAML error: {error}")]
    if data is None:  # `~` or `null` alone: None here means "cannot be used", which must never come without a problem
        return None, root, [Problem(name, root.start_mark.line + 1, "file is empty")]
    return data, root, []

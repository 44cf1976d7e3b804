"""Question banks: load the module YAML files, validate them, and report every problem as FILE:LINE: message.

A bank with any problem is left out whole (never half-loaded); the other banks keep working. Files are parsed
with the C safe loader only; aliases and oversized files are refused. Parsed banks are cached by file content, so
a rerun with unchanged files costs a hash per file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modules.bank_yaml import MAX_BANK_BYTES, Problem, FileChecker, kind_of, parse_yaml
from modules.core.types import Difficulty, ModuleId, QuestionId, QuestionType

POLICY_FILE = "certification.yaml"
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
QUESTION_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

MODULE_KEYS = {"id", "title", "order", "objectives", "lesson"}
QUESTION_KEYS = {
    "id", "type", "scenario", "prompt", "options", "answer", "items", "pairs",
    "partial_credit", "explanation", "source", "difficulty", "tags",
}
REQUIRED_BY_TYPE = {
    QuestionType.SINGLE: ("options", "answer"),
    QuestionType.MULTIPLE: ("options", "answer"),
    QuestionType.TRUE_FALSE: ("answer",),
    QuestionType.ORDERING: ("items",),
    QuestionType.MATCHING: ("pairs",),
}
FORBIDDEN_BY_TYPE = {
    QuestionType.SINGLE: ("items", "pairs", "partial_credit"),
    QuestionType.MULTIPLE: ("items", "pairs"),
    QuestionType.TRUE_FALSE: ("options", "items", "pairs", "partial_credit"),
    QuestionType.ORDERING: ("options", "answer", "pairs"),
    QuestionType.MATCHING: ("options", "answer", "items"),
}



@dataclass(frozen=True)
class Question:
    id: QuestionId
    module_id: ModuleId
    type: QuestionType
    prompt: str
    explanation: str
    source: str
    difficulty: Difficulty
    tags: tuple[str, ...]
    scenario: str | None = None
    options: tuple[str, ...] = ()
    answer: str | tuple[str, ...] | bool | None = None
    items: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    partial_credit: bool = False
    content_hash: str = ""

    @property
    def key_options(self) -> tuple[str, ...]:
        """The option texts that make up the key of a single or multiple question."""
        if self.type is QuestionType.SINGLE:
            return (self.answer,)  # type: ignore[return-value]
        if self.type is QuestionType.MULTIPLE:
            return self.answer  # type: ignore[return-value]
        return ()


@dataclass(frozen=True)
class Module:
    id: ModuleId
    title: str
    order: int
    objectives: tuple[str, ...]
    lesson: str
    questions: tuple[Question, ...]
    file: str


@dataclass
class BankSet:
    """Every valid module, in order, plus the problems of the files that were left out."""

    modules: list[Module] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.questions = {q.id: q for m in self.modules for q in m.questions}
        self.by_id = {m.id: m for m in self.modules}

    def module(self, module_id: str) -> Module | None:
        return self.by_id.get(module_id)

    def question(self, question_id: str) -> Question | None:
        return self.questions.get(question_id)


def _content_hash(fields: dict) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=list)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _check_question(check: FileChecker, q: Any, path: tuple, module_id: str) -> Question | None:
    if not isinstance(q, dict):
        check.add(path, f"each question must be a mapping of fields, not {kind_of(q)}")
        return None
    before = len(check.problems)
    check.unknown_keys(q, QUESTION_KEYS, path, "a question")
    qid = q.get("id")
    if "id" not in q:
        check.add(path, "missing required field 'id'")
    elif not isinstance(qid, str) or not QUESTION_ID.match(qid):
        check.add(path + ("id",), "'id' must be lowercase letters, digits and dashes, e.g. mech-001")
    raw_type = q.get("type")
    qtype = None
    if "type" not in q:
        check.add(path, "missing required field 'type'")
    else:
        try:
            qtype = QuestionType(raw_type)
        except ValueError:
            check.add(path + ("type",), f"unknown type '{raw_type}'; use one of: "
                      + ", ".join(t.value for t in QuestionType))
    prompt = check.text(q, "prompt", path)
    explanation = check.text(q, "explanation", path)
    source = check.text(q, "source", path)
    scenario = check.text(q, "scenario", path, required=False)
    difficulty = None
    if "difficulty" not in q:
        check.add(path, "missing required field 'difficulty'")
    else:
        try:
            difficulty = Difficulty(q["difficulty"])
        except ValueError:
            check.add(path + ("difficulty",), "'difficulty' must be easy, medium or hard")
    tags = None
    if "tags" not in q:
        check.add(path, "missing required field 'tags'")
    else:
        tags = check.text_list(q, "tags", path, minimum=0)
    partial = q.get("partial_credit", False)
    if not isinstance(partial, bool):
        check.add(path + ("partial_credit",), "'partial_credit' must be true or false")
    if qtype is None:
        return None
    for key in REQUIRED_BY_TYPE[qtype]:
        if key not in q:
            check.add(path, f"missing required field '{key}' for a {qtype.value} question")
    for key in FORBIDDEN_BY_TYPE[qtype]:
        if key in q:
            check.add(path + (key,), f"'{key}' does not belong in a {qtype.value} question")
    options, answer, items, pairs = (), None, (), ()
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE) and "options" in q:
        options = check.text_list(q, "options", path, minimum=2, maximum=6) or ()
    if qtype is QuestionType.SINGLE and "answer" in q:
        answer = q["answer"]
        if not isinstance(answer, str):
            check.add(path + ("answer",), "'answer' of a single question must be one option's text")
        elif options and answer not in options:
            check.add(path + ("answer",), f"answer '{answer}' is not one of the options")
    elif qtype is QuestionType.MULTIPLE and "answer" in q:
        answer = check.text_list(q, "answer", path, minimum=1)
        if answer is not None and options:
            for i, a in enumerate(answer):
                if a not in options:
                    check.add(path + ("answer", i), f"answer '{a}' is not one of the options")
    elif qtype is QuestionType.TRUE_FALSE and "answer" in q:
        answer = q["answer"]
        if not isinstance(answer, bool):
            check.add(path + ("answer",), "'answer' of a true_false question must be true or false")
    elif qtype is QuestionType.ORDERING and "items" in q:
        items = check.text_list(q, "items", path, minimum=2, maximum=8) or ()
    elif qtype is QuestionType.MATCHING and "pairs" in q:
        raw_pairs = q["pairs"]
        if not isinstance(raw_pairs, dict):
            check.add(path + ("pairs",), f"'pairs' must be a mapping of left: right, not {kind_of(raw_pairs)}")
        elif not 2 <= len(raw_pairs) <= 8:
            check.add(path + ("pairs",), f"'pairs' needs 2 to 8 pairs, has {len(raw_pairs)}")
        elif not all(isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip()
                     for k, v in raw_pairs.items()):
            check.add(path + ("pairs",), "every pair must be non-empty text on both sides")
        elif len(set(raw_pairs.values())) != len(raw_pairs):
            check.add(path + ("pairs",), "the right-hand sides of 'pairs' must all differ")
        else:
            pairs = tuple(raw_pairs.items())
    if len(check.problems) > before:
        return None
    fields = {"type": qtype.value, "scenario": scenario, "prompt": prompt, "options": options,
              "answer": answer, "items": items, "pairs": pairs, "partial_credit": partial,
              "explanation": explanation, "source": source}
    return Question(
        id=QuestionId(qid), module_id=ModuleId(module_id), type=qtype, prompt=prompt, explanation=explanation,
        source=source, difficulty=difficulty, tags=tags or (), scenario=scenario, options=options,
        answer=tuple(answer) if isinstance(answer, (list, tuple)) else answer, items=items, pairs=pairs,
        partial_credit=partial, content_hash=_content_hash(fields),
    )


def check_module_file(name: str, raw: bytes) -> tuple[Module | None, list[Problem]]:
    """Validate one module file on its own (cross-file duplicate ids are checked by `load_banks`)."""
    data, root, problems = parse_yaml(name, raw)
    if data is None:
        return None, problems
    check = FileChecker(name, root)
    if not isinstance(data, dict):
        check.add((), "the file must be a mapping with 'module' and 'questions'")
        return None, check.problems
    check.unknown_keys(data, {"module", "questions"}, (), "the file")
    meta = data.get("module")
    module_id = title = lesson = None
    order = None
    objectives: tuple[str, ...] | None = ()
    if not isinstance(meta, dict):
        check.add(("module",) if "module" in data else (), "missing or invalid 'module' section")
    else:
        check.unknown_keys(meta, MODULE_KEYS, ("module",), "the module section")
        module_id = check.text(meta, "id", ("module",))
        if module_id is not None and not SLUG.match(module_id):
            check.add(("module", "id"), "module 'id' must be a lowercase slug, e.g. skin-science")
        title = check.text(meta, "title", ("module",))
        lesson = check.text(meta, "lesson", ("module",))
        order = meta.get("order")
        if "order" not in meta:
            check.add(("module",), "missing required field 'order'")
        elif not isinstance(order, int) or isinstance(order, bool):
            check.add(("module", "order"), "'order' must be a whole number")
        objectives = check.text_list(meta, "objectives", ("module",), minimum=1)
    raw_questions = data.get("questions")
    questions: list[Question] = []
    if not isinstance(raw_questions, list) or not raw_questions:
        check.add(("questions",) if "questions" in data else (), "'questions' must be a non-empty list")
    else:
        seen: dict[str, int] = {}
        for i, q in enumerate(raw_questions):
            question = _check_question(check, q, ("questions", i), module_id or "")
            qid = q.get("id") if isinstance(q, dict) else None
            if isinstance(qid, str):
                if qid in seen:
                    check.add(("questions", i, "id"), f"duplicate question id '{qid}' (first used on line {seen[qid]})")
                else:
                    seen[qid] = check.line_of(("questions", i, "id"))
            if question is not None:
                questions.append(question)
    if check.problems:
        return None, check.problems
    return Module(ModuleId(module_id), title, order, objectives, lesson, tuple(questions), name), []


_parse_cache: dict[str, tuple[Module | None, list[Problem]]] = {}


def _check_cached(path: Path, key: str) -> tuple[Module | None, list[Problem]]:
    if key not in _parse_cache:
        if len(_parse_cache) > 256:
            _parse_cache.clear()
        _parse_cache[key] = check_module_file(path.name, path.read_bytes())
    return _parse_cache[key]


def module_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).glob("*.y*ml") if p.name != POLICY_FILE and p.suffix in (".yaml", ".yml"))


_set_cache: dict[tuple, BankSet] = {}
# (path, mtime, size) -> content key: an untouched file is not read again; any edit changes its mtime or size.
_content_keys: dict[tuple, str] = {}


def _content_key(path: Path, stat) -> str:
    seen = (str(path), stat.st_mtime_ns, stat.st_size)
    if seen not in _content_keys:
        if len(_content_keys) > 1024:
            _content_keys.clear()
        _content_keys[seen] = path.name + ":" + hashlib.sha256(path.read_bytes()).hexdigest()
    return _content_keys[seen]


def load_banks(directory: Path | str) -> BankSet:
    """Every valid module of a folder; a file with any problem (or clashing ids) is left out with its problems.

    The whole set is cached by the content of every file, so an unchanged folder costs a stat per file.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return BankSet([], [Problem(str(directory), 1, "question bank folder not found")])
    files: list[tuple[Path, str | None]] = []
    for path in module_files(directory):
        stat = path.stat()
        files.append((path, None if stat.st_size > MAX_BANK_BYTES else _content_key(path, stat)))
    set_key = (str(directory), MAX_BANK_BYTES) + tuple(key or path.name for path, key in files)
    if set_key not in _set_cache:
        if len(_set_cache) > 32:
            _set_cache.clear()
        _set_cache[set_key] = _assemble(directory, files)
    return _set_cache[set_key]


def _assemble(directory: Path, files: list[tuple[Path, str | None]]) -> BankSet:
    problems: list[Problem] = []
    candidates: list[Module] = []
    for path, key in files:
        if key is None:
            problems.append(Problem(path.name, 1, f"file is larger than {MAX_BANK_BYTES // (1024 * 1024)} MB; split it"))
            continue
        module, file_problems = _check_cached(path, key)
        problems.extend(file_problems)
        if module is not None:
            candidates.append(module)
    modules: list[Module] = []
    module_owner: dict[str, str] = {}
    question_owner: dict[str, str] = {}
    for module in candidates:
        clashes = []
        if module.id in module_owner:
            clashes.append(Problem(module.file, 2, f"module id '{module.id}' is already used by {module_owner[module.id]}"))
        for q in module.questions:
            if q.id in question_owner:
                clashes.append(Problem(module.file, _question_line(directory / module.file, q.id),
                                       f"duplicate question id '{q.id}' (also in {question_owner[q.id]})"))
        if clashes:
            problems.extend(clashes)
            continue
        module_owner[module.id] = module.file
        question_owner.update({q.id: module.file for q in module.questions})
        modules.append(module)
    modules.sort(key=lambda m: (m.order, m.id))
    return BankSet(modules, problems)


def _question_line(path: Path, question_id: str) -> int:
    pattern = re.compile(r"^\s*-?\s*id:\s*['\"]?" + re.escape(question_id) + r"['\"]?\s*$")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(line):
            return number
    return 1


def summary(banks: BankSet) -> str:
    """A short human summary for check-banks: modules, questions per type and difficulty."""
    lines = [f"{len(banks.modules)} modules, {len(banks.questions)} questions"]
    for module in banks.modules:
        types: dict[str, int] = {}
        levels: dict[str, int] = {}
        for q in module.questions:
            types[q.type.value] = types.get(q.type.value, 0) + 1
            levels[q.difficulty.value] = levels.get(q.difficulty.value, 0) + 1
        lines.append(
            f"  {module.order}. {module.id} ({module.file}): {len(module.questions)} questions; "
            + ", ".join(f"{k} {v}" for k, v in sorted(types.items())) + "; "
            + ", ".join(f"{k} {levels.get(k, 0)}" for k in ("easy", "medium", "hard"))
        )
    return "\n".join(lines)

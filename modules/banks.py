"""Question banks: load the module YAML files, validate them, and report every problem as FILE:LINE: message.

A bank with any problem is left out whole (never half-loaded); the other banks keep working. Files are parsed
with the C safe loader only (`modules.bank_yaml`); aliases and oversized files are refused. The schema is declared
as pydantic models in `modules.bank_models`; this module turns a valid file into the app's frozen `Question` and
`Module` values and checks what spans files (duplicate ids). Parsed banks are cached by file content, so a rerun
with unchanged files costs a stat per file.

Nothing in a bank makes a browser fetch another site or the server read outside the bank folder: text may show no
image but a lesson's own diagrams, and a diagram is a regular file inside diagrams/ (never a link) holding no code
and no reference outside itself. `lesson_parts` applies the same rules again when a page shows a lesson.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat as stat_mode
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import yaml
from pydantic import ValidationError

from modules import bank_models
from modules.bank_models import AnyQuestion, ModuleFile
from modules.bank_yaml import MAX_BANK_BYTES, Loc, Problem, line_of, parse_yaml
from modules.core.types import Difficulty, ModuleId, Pool, QuestionId, QuestionType

__all__ = ["DIAGRAM_LINE", "POLICY_FILE", "BankSet", "LessonPart", "Module", "Problem", "Question",
           "check_module_file", "diagram_problem", "lesson_parts", "load_banks", "summary"]

POLICY_FILE = "certification.yaml"
DIAGRAMS = "diagrams"
MAX_DIAGRAM_BYTES = 256 * 1024
DIAGRAM_LINE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<path>diagrams/[\w.-]+\.svg)\)\s*$")
# What else makes a browser fetch something by itself: a Markdown image (inline or by reference) or an HTML tag.
OTHER_IMAGE = re.compile(r"!\[|<\s*(?:img|image|svg|picture|source|video|audio|iframe|object|embed|link|script)\b",
                         re.IGNORECASE)
IMAGE_RULE = "no images here; a lesson may show its own diagrams, each on a line: ![alt](diagrams/NAME.svg)"
# An SVG may point only inside itself (#id); possessive `*+` so that a space cannot be backtracked to pass `"#`.
SVG_OUTSIDE = re.compile(r"\b(?:xlink:)?href\s*+=\s*+(?![\"']?\s*+#)[\"']?[^\"'\s>]*|url\(\s*+(?![\"']?\s*+#)[^)]*\)"
                         r"|@import\b[^;]*", re.IGNORECASE)
SVG_CODE = re.compile(r"<\s*(?:script|foreignObject)\b|(?<=\s)on[a-z]+\s*=|<!ENTITY", re.IGNORECASE)


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
    pool: Pool = Pool.PRACTICE

    @property
    def key_options(self) -> tuple[str, ...]:
        """The option texts that make up the key of a single or multiple question."""
        if self.type is QuestionType.SINGLE and isinstance(self.answer, str):
            return (self.answer,)
        if self.type is QuestionType.MULTIPLE and isinstance(self.answer, tuple):
            return self.answer
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

    def pool(self, pool: Pool, module_id: str | None = None) -> list[Question]:
        """The questions of one pool, in bank order; of one module, or of every module."""
        modules = self.modules if module_id is None else [m for m in self.modules if m.id == module_id]
        return [q for m in modules for q in m.questions if q.pool is pool]

    def module(self, module_id: str) -> Module | None:
        return self.by_id.get(ModuleId(module_id))

    def question(self, question_id: str) -> Question | None:
        return self.questions.get(QuestionId(question_id))


def _content_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=list)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _question(model: AnyQuestion, module_id: ModuleId) -> Question:
    # Each question model carries only the fields of its type; the others take the Question defaults. Read from
    # __dict__ (where pydantic keeps field values) because getattr on a missing field is slow on a model.
    values = model.__dict__
    options: tuple[str, ...] = values.get("options", ())
    answer: str | tuple[str, ...] | bool | None = values.get("answer")
    items: tuple[str, ...] = values.get("items", ())
    pairs: tuple[tuple[str, str], ...] = tuple(values.get("pairs", {}).items())
    partial: bool = values.get("partial_credit", False)
    fields = {"type": model.type.value, "scenario": model.scenario, "prompt": model.prompt, "options": options,
              "answer": answer, "items": items, "pairs": pairs, "partial_credit": partial,
              "explanation": model.explanation, "source": model.source}
    return Question(
        id=QuestionId(model.id), module_id=module_id, type=model.type, prompt=model.prompt,
        explanation=model.explanation, source=model.source, difficulty=model.difficulty, tags=model.tags,
        scenario=model.scenario, options=options, answer=answer, items=items, pairs=pairs, partial_credit=partial,
        content_hash=_content_hash(fields), pool=model.pool,
    )


def check_module_file(name: str, raw: bytes) -> tuple[Module | None, list[Problem]]:
    """Validate one module file on its own (cross-file duplicate ids are checked by `load_banks`)."""
    data, root, problems = parse_yaml(name, raw)
    if data is None:
        return None, problems
    try:
        parsed = ModuleFile.model_validate(data)
    except ValidationError as error:
        return None, bank_models.problems(name, root, error)
    images = _image_problems(name, raw, root, data)
    if images:
        return None, images
    meta = parsed.module
    module_id = ModuleId(meta.id)
    questions = tuple(_question(q, module_id) for q in parsed.questions)
    return Module(module_id, meta.title, meta.order, meta.objectives, meta.lesson, questions, name), []


def _strings(value: object, path: Loc = ()) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, path + (str(key),))
            yield from _strings(item, path + (str(key),))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, path + (index,))


def _image_problems(name: str, raw: bytes, root: yaml.Node | None, data: object) -> list[Problem]:
    """Every line of text that would show an image other than a lesson's own diagram line."""
    found: list[Problem] = []
    file_lines: list[str] | None = None
    for path, text in _strings(data):
        for line in text.splitlines():
            if OTHER_IMAGE.search(line) and not (path == ("module", "lesson") and DIAGRAM_LINE.match(line.strip())):
                file_lines = file_lines or raw.decode("utf-8").splitlines()
                found.append(Problem(name, _line_with(file_lines, line.strip(), line_of(root, path)), IMAGE_RULE))
    return found


def _line_with(lines: list[str], fragment: str, start: int) -> int:
    """The first line from `start` on that holds `fragment` (a line of a block scalar), else `start` itself."""
    return next((number for number in range(start, len(lines) + 1) if fragment in lines[number - 1]), start)


def _read_diagram(directory: Path, reference: str) -> tuple[str | None, str]:
    """The SVG of a diagram a lesson names, or None and why it may not be shown."""
    path = directory / reference
    if not os.path.lexists(path):
        return None, f"diagram {reference} is missing"
    if path.is_symlink():
        return None, f"diagram {reference} is a link; put the file itself in diagrams/"
    if path.resolve().parent != directory.resolve() / DIAGRAMS:
        return None, f"diagram {reference} is not a file inside diagrams/"
    try:
        # O_NOFOLLOW: a link swapped in after the check is still not followed; O_NONBLOCK: a FIFO cannot hang us.
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(handle, "rb") as file:
            if not stat_mode.S_ISREG(os.fstat(file.fileno()).st_mode):
                return None, f"diagram {reference} is not a file inside diagrams/"
            raw = file.read(MAX_DIAGRAM_BYTES + 1)
    except OSError:
        return None, f"diagram {reference} cannot be read"
    if len(raw) > MAX_DIAGRAM_BYTES:
        return None, f"diagram {reference} is larger than {MAX_DIAGRAM_BYTES // 1024} KB"
    try:
        svg = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, f"diagram {reference} is not UTF-8 text"
    if outside := SVG_OUTSIDE.search(svg):
        return None, f"diagram {reference} refers outside itself ({outside[0][:80]}); only #id references are allowed"
    if code := SVG_CODE.search(svg):
        return None, f"diagram {reference} holds code or HTML ({code[0][:80]}); draw with SVG shapes only"
    return svg, ""


def diagram_problem(directory: Path, reference: str) -> str | None:
    """Why check-banks refuses a diagram a lesson names, or None. A missing one is only a note on the page."""
    svg, why = _read_diagram(Path(directory), reference)
    return None if svg is not None or why.endswith(" is missing") else why


class LessonPart(NamedTuple):
    kind: Literal["markdown", "diagram", "not shown"]
    body: str  # the Markdown, the SVG, or the diagram's reference
    alt: str = ""


def lesson_parts(directory: Path, lesson: str) -> list[LessonPart]:
    """A lesson as the Learn page shows it, safe even if check-banks never saw the file: other images are taken
    out of the Markdown, and a diagram is read only when check-banks would accept it."""
    parts: list[LessonPart] = []
    chunk: list[str] = []

    def flush() -> None:
        text = "\n".join(chunk).strip("\n")
        if text:
            # An inline image goes whole; what is left of `![` (a reference image) and of a tag is shown as text.
            text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "(image not shown)", text)
            parts.append(LessonPart("markdown", OTHER_IMAGE.sub(lambda m: "\\" + m[0] if m[0] == "![" else
                                                                "&lt;" + m[0][1:], text)))
        chunk.clear()

    for line in lesson.splitlines():
        match = DIAGRAM_LINE.match(line.strip())
        if not match:
            chunk.append(line)
            continue
        flush()
        svg, _ = _read_diagram(Path(directory), match["path"])
        parts.append(LessonPart("diagram", svg, match["alt"]) if svg is not None
                     else LessonPart("not shown", match["path"], match["alt"]))
    flush()
    return parts


def _diagram_problems(directory: Path, module: Module) -> list[Problem]:
    found: list[Problem] = []
    for line in module.lesson.splitlines():
        match = DIAGRAM_LINE.match(line.strip())
        why = diagram_problem(directory, match["path"]) if match else None
        if why is not None:
            lines = (directory / module.file).read_text(encoding="utf-8", errors="replace").splitlines()
            found.append(Problem(module.file, _line_with(lines, line.strip(), 1), why))
    return found


_parse_cache: dict[str, tuple[Module | None, list[Problem]]] = {}


def _check_cached(path: Path, key: str) -> tuple[Module | None, list[Problem]]:
    if key not in _parse_cache:
        if len(_parse_cache) > 256:
            _parse_cache.clear()
        _parse_cache[key] = check_module_file(path.name, path.read_bytes())
    return _parse_cache[key]


def module_files(directory: Path) -> list[Path]:
    """The module files of a bank folder, in name order (the policy file is not one)."""
    return sorted(p for p in Path(directory).glob("*.y*ml") if p.name != POLICY_FILE and p.suffix in (".yaml", ".yml"))


_set_cache: dict[tuple[object, ...], BankSet] = {}
# (path, mtime, size) -> content key: an untouched file is not read again; any edit changes its mtime or size.
_content_keys: dict[tuple[str, int, int], str] = {}


def _content_key(path: Path, stat: os.stat_result) -> str:
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
        try:
            stat = path.stat()
        except OSError:  # a dangling link
            files.append((path, None))
            continue
        usable = stat_mode.S_ISREG(stat.st_mode) and stat.st_size <= MAX_BANK_BYTES
        files.append((path, _content_key(path, stat) if usable else None))
    set_key: tuple[object, ...] = ((str(directory), MAX_BANK_BYTES, _diagrams_key(directory))
                                   + tuple(key or path.name for path, key in files))
    if set_key not in _set_cache:
        if len(_set_cache) > 32:
            _set_cache.clear()
        _set_cache[set_key] = _assemble(directory, files)
    return _set_cache[set_key]


def _diagrams_key(directory: Path) -> tuple[object, ...]:
    """What the diagram checks depend on: an edited, added, removed or linked diagram changes it."""
    folder = directory / DIAGRAMS
    try:
        with os.scandir(folder) as entries:
            found = sorted((e.name, e.stat(follow_symlinks=False)) for e in entries)
        return (folder.resolve(),) + tuple((name, s.st_mode, s.st_mtime_ns, s.st_size) for name, s in found)
    except OSError:
        return ()


def _assemble(directory: Path, files: list[tuple[Path, str | None]]) -> BankSet:
    problems: list[Problem] = []
    candidates: list[Module] = []
    for path, key in files:
        if key is None:
            problems.append(Problem(path.name, 1,
                                    f"file is larger than {MAX_BANK_BYTES // (1024 * 1024)} MB; split it"
                                    if path.is_file() else "not a regular file"))
            continue
        module, file_problems = _check_cached(path, key)
        diagram_problems = _diagram_problems(directory, module) if module is not None else []
        problems.extend(file_problems + diagram_problems)
        if module is not None and not diagram_problems:
            candidates.append(module)
    modules: list[Module] = []
    module_owner: dict[str, str] = {}
    question_owner: dict[str, str] = {}
    for module in candidates:
        clashes: list[Problem] = []
        if module.id in module_owner:
            clashes.append(Problem(module.file, 2,
                                   f"module id '{module.id}' is already used by {module_owner[module.id]}"))
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

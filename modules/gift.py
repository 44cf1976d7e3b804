"""Moodle GIFT import and export (issue #17): a small GIFT reader and writer, and the mapping to our bank YAML.

The reader follows Moodle's own (question/format/gift/format.php): questions are separated by blank lines, `//`
lines are comments, `\\~ \\= \\# \\{ \\} \\: \\n \\\\` are escapes, `[html]`/`[markdown]`/`[plain]`/`[moodle]` set a
text's format. A file that does not parse is refused whole with FILE:LINE problems. What our question model cannot
hold whole (short answer, numerical, essay, missing word, description, a matching distractor, a partial-credit
wrong option) is skipped with its line: a question is imported whole or not at all.

GIFT has no place for our source, difficulty, pool, scenario or all-or-nothing grading. The writer keeps them in
comment lines Moodle ignores (`// source: ...`; tags as Moodle's own `// [tag:...]`), so our banks round-trip; a
file from Moodle gets defaults marked TODO, named in the YAML and in the report.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from enum import Enum
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from modules import settings
from modules.bank_models import SLUG_PATTERN, AnyQuestion
from modules.bank_yaml import MAX_BANK_BYTES, Problem, describe
from modules.banks import OTHER_IMAGE, Module, Question, check_module_file, load_banks
from modules.cli import Command, guarded
from modules.core.errors import BankError, ImportRejected
from modules.core.types import Pool, QuestionType

# Each escape becomes a private-use character while the structure is read, and its character afterwards.
_ESCAPES = {"\\\\": "\\", "\\:": ":", "\\#": "#", "\\=": "=", "\\{": "{", "\\}": "}", "\\~": "~", "\\n": "\n"}
_HOLD = {escape: chr(0xE000 + i) for i, escape in enumerate(_ESCAPES)}
_RELEASE = {_HOLD[escape]: char for escape, char in _ESCAPES.items()}
_ESCAPE = re.compile(r"\\[\\:#={}~n]")
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_FORMATS = ("moodle", "html", "plain", "markdown")
_META = re.compile(r"^//\s*(source|difficulty|pool|partial credit|scenario paragraphs)\s*:\s*(.*?)\s*$", re.I)
_TAG = re.compile(r"\[tag:((?:\\\]|[^\]])+)\]")
_IDNUMBER = re.compile(r"\[id:((?:\\\]|[^\]])+)\]")
PARAGRAPH_BREAK = "\n\n"
DEFAULT_SOURCE = "TODO: the section of clinic-material or clinical-facts this question traces to"
DEFAULT_EXPLANATION = "TODO: why the key is right and why the tempting wrong answer is wrong"


class Kind(str, Enum):
    MULTICHOICE = "multiple choice"
    TRUEFALSE = "true/false"
    MATCHING = "matching"
    SHORT_ANSWER = "short answer"
    NUMERICAL = "numerical"
    ESSAY = "essay"
    DESCRIPTION = "description"
    MISSING_WORD = "missing word"


UNSUPPORTED = {
    Kind.SHORT_ANSWER: "short answer (typed text): our banks have no typed-answer question",
    Kind.NUMERICAL: "numerical (a typed number): our banks have no typed-answer question",
    Kind.ESSAY: "essay (marked by hand): our banks have no open-answer question",
    Kind.DESCRIPTION: "description (text with no answer), not a question",
    Kind.MISSING_WORD: "missing word (text after the answer block, Moodle's cloze form) has no place in our banks; "
                       "if two questions run together, put a blank line between them",
}


@dataclass(frozen=True)
class Text:
    text: str
    format: str = "moodle"


@dataclass(frozen=True)
class Answer:
    text: Text
    weight: float  # percent: 100 for `=`, 0 for a bare `~`
    feedback: Text | None = None


@dataclass(frozen=True)
class GiftQuestion:
    line: int
    kind: Kind
    name: str | None
    text: Text
    answers: tuple[Answer, ...] = ()
    single: bool = True  # Moodle: a multiple-choice question with an `=` answer takes one pick
    pairs: tuple[tuple[Text, str], ...] = ()
    truth: bool | None = None
    truth_feedback: tuple[Text | None, Text | None] = (None, None)  # shown after a wrong pick, after a right one
    general_feedback: Text | None = None
    comments: tuple[str, ...] = ()
    category: str | None = None


def _release(text: str) -> str:
    return "".join(_RELEASE.get(char, char) for char in text)


def _with_format(raw: str, default: str) -> Text:
    raw = raw.strip()
    fmt = default
    if raw.startswith("[") and "]" in raw and raw[1:raw.index("]")] in _FORMATS:
        fmt, raw = raw[1:raw.index("]")], raw[raw.index("]") + 1:]
    if fmt != "markdown":  # a line break in the file is only wrapping there; `\n` is a line break in the text
        raw = re.sub(r"[ \t]*\n[ \t]*", " ", raw)
    return Text(_release(raw).strip(), fmt)


def _with_feedback(raw: str, default: str) -> tuple[Text, Text | None]:
    text, _, feedback = raw.partition("#")
    return _with_format(text, default), _with_format(feedback, default) if feedback.strip() else None


def _pieces(inner: str, markers: str) -> list[tuple[int, str]]:
    """`inner` cut before each marker character: (offset, piece); text before the first marker is a piece too."""
    starts = [0] + [i for i, char in enumerate(inner) if char in markers and i > 0]
    return [(start, inner[start:end]) for start, end in zip(starts, starts[1:] + [len(inner)])]


def parse(name: str, raw: bytes) -> list[GiftQuestion]:
    """Every question and non-question block of a GIFT file, in order; ImportRejected lists each syntax problem."""
    if len(raw) > MAX_BANK_BYTES:
        raise ImportRejected(f"{name} is larger than {MAX_BANK_BYTES // (1024 * 1024)} MB; split it")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad_line = raw[: error.start].count(b"\n") + 1
        raise ImportRejected(f"{name} is not UTF-8 text",
                             [f"{name}:{bad_line}: not UTF-8 text; save it as UTF-8"]) from None
    questions: list[GiftQuestion] = []
    problems: list[str] = []
    category: str | None = None
    block: list[tuple[int, str]] = []
    for number, line in enumerate([*text.splitlines(), ""], start=1):
        if line.strip():
            block.append((number, line.strip()))
            continue
        if not block:
            continue
        try:
            found: GiftQuestion | str | None = _read_block(block, category)
        except _Malformed as malformed:
            problems.append(f"{name}:{malformed.line}: {malformed}")
            found = None
        block = []
        if isinstance(found, str):
            category = found
        elif found is not None:
            questions.append(found)
    if problems:
        raise ImportRejected(f"{name} is not a GIFT file Moodle would read: {len(problems)} problem(s); nothing "
                             "was imported", problems)
    return questions


class _Malformed(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _read_block(block: list[tuple[int, str]], category: str | None) -> GiftQuestion | str | None:
    """One blank-line-separated block: a question, a new category (str), or None when it holds only comments."""
    comments = tuple(line for _, line in block if line.startswith("//"))
    joined = "\n".join("" if line.startswith("//") else line for _, line in block)
    full = _ESCAPE.sub(lambda m: _HOLD[m[0]], joined.strip())
    lead = joined[: len(joined) - len(joined.lstrip())].count("\n")

    def line_at(offset: int) -> int:
        return block[0][0] + lead + full[:offset].count("\n")

    if not full:
        return None
    if full.startswith("$CATEGORY:"):
        return _release(full[len("$CATEGORY:"):]).strip()
    start_at = 0
    name = None
    if full.startswith("::"):
        close = full.find("::", 2)
        if close < 0:
            raise _Malformed(line_at(0), "the question name opened with '::' is never closed")
        name, start_at = _release(full[2:close]).strip(), close + 2
    opening, closing = full.find("{", start_at), full.find("}", start_at)
    base = GiftQuestion(line_at(start_at), Kind.DESCRIPTION, name, _with_format(full[start_at:], "moodle"),
                        comments=comments, category=category)
    if opening < 0 and closing < 0:
        return base
    if closing < 0:
        raise _Malformed(line_at(opening), "'{' opens an answer block that is never closed with '}'")
    if opening < 0 or closing < opening:
        raise _Malformed(line_at(closing), "'}' without an opening '{' (write \\} for a brace in text)")
    if "{" in full[opening + 1:closing]:
        raise _Malformed(line_at(full.index("{", opening + 1)), "a second '{' inside the answer block "
                                                                "(write \\{ for a brace in text)")
    question = _with_format(full[start_at:opening], "moodle")
    inner_raw = full[opening + 1:closing]
    inner_at = opening + 1 + len(inner_raw) - len(inner_raw.lstrip())
    inner = inner_raw.strip()
    general: Text | None = None
    if "####" in inner:
        inner, _, general_raw = inner.rpartition("####")
        inner = inner.strip()
        general = _with_format(general_raw, question.format) if general_raw.strip() else None
    base = GiftQuestion(base.line, Kind.DESCRIPTION, name, question, general_feedback=general, comments=comments,
                        category=category)
    if full[closing + 1:].strip():  # Moodle shows the blank where the answer block stood
        blanked = _with_format(full[start_at:opening] + "_____" + full[closing + 1:], "moodle")
        return _replace(base, kind=Kind.MISSING_WORD, text=blanked)
    if not inner:
        return _kind(base, Kind.ESSAY)
    if inner.startswith("#"):
        return _kind(base, Kind.NUMERICAL)
    if "~" in inner:
        answers = []
        for _, piece in _pieces(inner, "~="):
            body = (piece[1:] if piece[0] in "~=" else piece).strip()
            weight = 100.0 if piece[0] == "=" else 0.0
            if piece[0] == "~" and (match := _WEIGHT.match(body)):
                weight, body = float(match[1]), body[match.end():]
            text, feedback = _with_feedback(body, question.format)
            answers.append(Answer(text, weight, feedback))
        if len(answers) < 2:
            raise _Malformed(base.line, "a multiple-choice question needs at least two answers")
        return _replace(base, kind=Kind.MULTICHOICE, answers=tuple(answers), single="=" in inner)
    if "=" in inner and "->" in inner:
        pairs = []
        for offset, piece in _pieces(inner, "="):
            left, arrow, right = (piece[1:] if piece[0] == "=" else piece).partition("->")
            if not arrow:
                raise _Malformed(line_at(inner_at + offset), f"matching answer '{_release(piece[1:]).strip()}' "
                                                             "has no '->'")
            pairs.append((_with_format(left, question.format), _release(right).strip()))
        if len(pairs) < 2:
            raise _Malformed(base.line, "a matching question needs at least two pairs")
        return _replace(base, kind=Kind.MATCHING, pairs=tuple(pairs))
    answer, _, feedbacks = inner.partition("#")
    if answer.strip() in ("T", "TRUE", "F", "FALSE"):
        wrong, _, right = feedbacks.partition("#")
        shown = tuple(_with_format(f, question.format) if f.strip() else None for f in (wrong, right))
        return _replace(base, kind=Kind.TRUEFALSE, truth=answer.strip().startswith("T"),
                        truth_feedback=(shown[0], shown[1]))
    return _kind(base, Kind.SHORT_ANSWER)


def _replace(question: GiftQuestion, **changes: Any) -> GiftQuestion:
    return GiftQuestion(**{**question.__dict__, **changes})


def _kind(question: GiftQuestion, kind: Kind) -> GiftQuestion:
    return _replace(question, kind=kind)


class _Skip(Exception):
    """This question cannot be mapped whole; the message says why."""


class _HtmlText(HTMLParser):
    """HTML as Markdown text: emphasis kept, blocks as line breaks; a link or media cannot be kept, so it skips."""

    MEDIA = {"a", "img", "audio", "video", "source", "iframe", "object", "embed", "script", "style", "link", "svg"}
    BLOCKS = {"p", "div", "br", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.media: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.MEDIA:
            self.media.append(tag)
        self.parts.append({"b": "**", "strong": "**", "i": "*", "em": "*"}.get(tag, "\n" if tag in self.BLOCKS
                                                                                else ""))

    def handle_endtag(self, tag: str) -> None:
        if tag != "br":
            self.parts.append({"b": "**", "strong": "**", "i": "*", "em": "*"}.get(tag, "\n" if tag in self.BLOCKS
                                                                                    else ""))

    def handle_data(self, data: str) -> None:
        self.parts.append(data.replace("\n", " "))


def _plain(text: Text) -> str:
    value = text.text
    if text.format == "html":
        reader = _HtmlText()
        reader.feed(value)
        reader.close()
        if reader.media:
            raise _Skip(f"its HTML holds <{reader.media[0]}> (a link or media), which a bank question cannot show")
        lines = [re.sub(r"\s+", " ", line).strip() for line in "".join(reader.parts).splitlines()]
        value = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if OTHER_IMAGE.search(value):
        raise _Skip("it shows an image or embedded media, which a bank question cannot hold")
    return value


def _weight(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _meta(question: GiftQuestion) -> tuple[dict[str, str], list[str], str | None]:
    """Our fields kept in comments by export-gift (or written by hand): values by key, tags, idnumber."""
    values: dict[str, str] = {}
    for comment in question.comments:
        if match := _META.match(comment):
            values.setdefault(match[1].lower(), re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], match[2]))
    text = "\n".join(question.comments)
    tags = [tag.replace("\\]", "]").strip() for tag in _TAG.findall(text)]
    idnumber = _IDNUMBER.search(text)
    return values, tags, idnumber[1].replace("\\]", "]").strip() if idnumber else None


def _feedback_lines(pairs: list[tuple[str, Text | None]]) -> list[str]:
    return [f"- {label}: {_plain(feedback)}" for label, feedback in pairs if feedback is not None]


def _to_bank(question: GiftQuestion, meta: dict[str, str], notes: list[str]) -> dict[str, Any]:
    """Our fields for one mapped question, type-specific ones first; _Skip when it cannot be mapped whole."""
    if question.kind in UNSUPPORTED:
        raise _Skip(UNSUPPORTED[question.kind])
    partial = meta.get("partial credit", "").lower()
    fields: dict[str, Any]
    if question.kind is Kind.TRUEFALSE:
        fields = {"type": QuestionType.TRUE_FALSE.value, "answer": question.truth}
        wrong, right = question.truth_feedback
        feedback = _feedback_lines([(f"If you answer {str(not question.truth).lower()}", wrong),
                                    (f"If you answer {str(question.truth).lower()}", right)])
    elif question.kind is Kind.MATCHING:
        if any(not left.text for left, _ in question.pairs):
            extra = next(right for left, right in question.pairs if not left.text)
            raise _Skip(f"the extra answer '{extra}' has no item to pair with; our matching has no distractors")
        lefts = [_plain(left) for left, _ in question.pairs]
        if len(set(lefts)) != len(lefts):
            raise _Skip("an item appears twice on the left")
        fields = {"type": QuestionType.MATCHING.value, "pairs": dict(zip(lefts, (r for _, r in question.pairs))),
                  "partial_credit": partial not in ("no", "false")}
        feedback = []
    else:
        options = [_plain(answer.text) for answer in question.answers]
        feedback = _feedback_lines([(o, a.feedback) for o, a in zip(options, question.answers)])
        fields = _choice(question, options, partial, notes)
    if question.general_feedback is not None:
        feedback.insert(0, _plain(question.general_feedback) + ("\n" if feedback else ""))
    fields["explanation"] = "\n".join(feedback)
    return fields


def _choice(question: GiftQuestion, options: list[str], partial: str, notes: list[str]) -> dict[str, Any]:
    weights = [answer.weight for answer in question.answers]
    keys = [option for option, weight in zip(options, weights) if weight > 0]
    if question.single:
        if [w for w in weights if w >= 100] != [100.0] or any(0 < w < 100 for w in weights):
            shares = ", ".join(f"{_weight(w)}%" for w in weights if w > 0)
            raise _Skip(f"a single-choice question needs exactly one right option at 100%, this one has {shares}; "
                        "our single choice gives no partial credit")
        if any(w < 0 for w in weights):
            notes.append("negative weights on wrong options are graded 0 here, as any wrong pick")
        return {"type": QuestionType.SINGLE.value, "options": options, "answer": keys[0]}
    share = 100 / len(keys) if keys else 0.0
    if not keys or any(abs(w - share) > 0.01 for w in weights if w > 0) or abs(sum(w for w in weights if w > 0)
                                                                              - 100) > 0.1:
        shares = ", ".join(f"{_weight(w)}%" for w in weights if w > 0) or "none"
        raise _Skip(f"the right options' weights ({shares}) are not equal shares of 100%; our multiple choice gives "
                    "each right option the same share")
    wrong = [w for w in weights if w <= 0]
    usual = all(abs(w + share) < 0.01 for w in wrong)
    if partial in ("yes", "true", "no", "false"):
        graded_partly = partial in ("yes", "true")
    else:
        graded_partly = usual
        if not usual:
            notes.append(f"wrong options weigh {', '.join(sorted({_weight(w) + '%' for w in wrong}))}, not Moodle's "
                         f"usual -{_weight(share)}%: imported as all-or-nothing (partial_credit: false)")
    return {"type": QuestionType.MULTIPLE.value, "options": options, "answer": keys, "partial_credit": graded_partly}


_QUESTION = TypeAdapter(AnyQuestion)
_ORDER = ("id", "type", "scenario", "prompt", "options", "answer", "pairs", "partial_credit", "explanation", "source",
          "difficulty", "tags", "pool")


@dataclass(frozen=True)
class Note:
    line: int
    kind: str  # "skipped" or "note"
    message: str

    def line_for(self, file: str) -> str:
        return f"{file}:{self.line}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class Imported:
    """What a GIFT file gives: the YAML, the module it loads as (None if the checker refuses it), and the report."""

    yaml: str
    module: Module | None
    notes: tuple[Note, ...]
    problems: tuple[Problem, ...] = field(default=())

    @property
    def skipped(self) -> tuple[Note, ...]:
        return tuple(n for n in self.notes if n.kind == "skipped")


def import_gift(name: str, raw: bytes, module_id: str, taken: frozenset[str] = frozenset()) -> Imported:
    """A GIFT file as one module's YAML. `taken` are the ids already in the banks: generated ids avoid them."""
    if not re.match(SLUG_PATTERN, module_id or ""):
        raise BankError(f"module id '{module_id}' must be lowercase letters, digits and dashes, e.g. skin-science")
    notes: list[Note] = []
    entries: list[tuple[list[str], dict[str, Any]]] = []
    used: set[str] = set()
    title: str | None = None
    to_complete = 0
    for question in parse(name, raw):
        title = title or (question.category and _category_title(question.category))
        meta, tags, idnumber = _meta(question)
        said: list[str] = []
        try:
            fields = _to_bank(question, meta, said)
            values, todo = _complete(question, fields, meta, tags)
            candidate = next((c for c in (question.name, idnumber) if c and re.match(SLUG_PATTERN, c)), None)
            ident = candidate if candidate and candidate not in used else _generated(module_id, used | taken)
            model = _QUESTION.validate_python({"id": ident, **values})
        except _Skip as skip:
            notes.append(Note(question.line, "skipped", f"{_label(question)}: {skip}"))
            continue
        except ValidationError as error:
            notes.append(Note(question.line, "skipped", f"{_label(question)}: {_why(error)}"))
            continue
        used.add(ident)
        notes += [Note(question.line, "note", f"{_label(question)}: {n}") for n in said]
        comments = [f"GIFT line {question.line}" + (f", Moodle name '{question.name}'" if question.name != ident
                                                    and question.name else "")]
        if todo:
            to_complete += 1
            comments.append("to complete (GIFT has no place for them): " + ", ".join(todo))
        if question.category:
            comments.append(f"Moodle category: {question.category}")
        dumped = model.model_dump(mode="json")
        entries.append((comments, {k: dumped[k] for k in _ORDER if k in values or k == "id"}))
    if to_complete:
        notes.append(Note(1, "note", f"{to_complete} question(s) hold defaults for fields GIFT has no place for "
                                     "(named in a comment above each): complete them before use"))
    clashes = sorted(used & taken)
    if clashes:
        notes.append(Note(1, "note", f"{len(clashes)} question id(s) are already in the banks ({', '.join(clashes[:5])}"
                                     f"{', ...' if len(clashes) > 5 else ''}): replace that module's file, or rename"))
    text = _yaml(name, module_id, title or f"Imported from {Path(name).name}", entries)
    module, problems = check_module_file(f"{module_id}.yaml", text.encode("utf-8"))
    return Imported(text, module, tuple(notes), tuple(problems))


def _label(question: GiftQuestion) -> str:
    """The question's name, else the start of its text."""
    shown = question.name or question.text.text.replace("\n", " ")
    return f"'{shown}'" if len(shown) <= 40 else f"'{shown[:37]}...'"


def _why(error: ValidationError) -> str:
    detail = error.errors(include_url=False)[0]
    loc = detail["loc"][1:]  # past the union's tag
    if detail["type"] == "rule":
        return str(detail["msg"])
    return describe(str(loc[0]) if loc else "question", loc[1:], detail)


def _generated(module_id: str, used: set[str] | frozenset[str]) -> str:
    return next(f"{module_id}-{n:03d}" for n in range(1, 100_000) if f"{module_id}-{n:03d}" not in used)


def _category_title(category: str) -> str:
    parts = [p for p in category.replace("//", "\0").split("/") if p and not p.startswith("$") and p != "top"]
    return parts[-1].replace("\0", "/").strip() if parts else category


def _complete(question: GiftQuestion, fields: dict[str, Any], meta: dict[str, str],
              tags: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The question's text and our fields GIFT may not carry; the second value names those filled by default."""
    text = _plain(question.text)
    values: dict[str, Any] = {**fields}
    paragraphs = text.split(PARAGRAPH_BREAK)
    count = meta.get("scenario paragraphs", "")
    if count.isdigit() and 0 < int(count) < len(paragraphs):
        values["scenario"] = PARAGRAPH_BREAK.join(paragraphs[: int(count)])
        text = PARAGRAPH_BREAK.join(paragraphs[int(count):])
    values["prompt"] = text
    todo = [] if values["explanation"] else ["explanation"]
    values["explanation"] = values["explanation"] or DEFAULT_EXPLANATION
    todo += [key for key in ("source", "difficulty") if key not in meta] + ([] if tags else ["tags"])
    values.update(source=meta.get("source") or DEFAULT_SOURCE, difficulty=meta.get("difficulty", "medium"), tags=tags)
    if meta.get("pool"):
        values["pool"] = meta["pool"]
    return values, todo


class _Dumper(yaml.SafeDumper):
    """Text with line breaks as a `|` block, as a trainer writes it by hand."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text and text == text.strip() else None))


def _dump(value: object) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000,
                     default_flow_style=False)


def _yaml(name: str, module_id: str, title: str, entries: list[tuple[list[str], dict[str, Any]]]) -> str:
    head = [f"# Imported from {Path(name).name} by `python -m modules import-gift`.",
            "# GIFT has no place for some fields our banks need; they hold defaults, marked TODO or named in a comment",
            "# above each question (source, explanation, difficulty medium, tags), and the module's order, objectives",
            "# and lesson below. Complete them, then run `python -m modules check-banks`."]
    module = {"id": module_id, "title": title, "order": 99,
              "objectives": ["TODO: what a technician can do after this module"],
              "lesson": "TODO: the lesson (GIFT files hold questions only)"}
    lines = [*head, "module:", *("  " + line for line in _dump(module).splitlines()), "questions:"]
    for comments, entry in entries:
        lines += ["", *(f"  # {comment}" for comment in comments)]
        lines += ["  " + line for line in _dump([entry]).splitlines()]
    if not entries:
        lines[-1] = "questions: []"
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    for char, escaped in (("\\", "\\\\"), ("~", "\\~"), ("=", "\\="), ("#", "\\#"), ("{", "\\{"), ("}", "\\}"),
                          (":", "\\:"), ("\n", "\\n"), ("\r", "")):
        text = text.replace(char, escaped)
    return text


def _comment_value(text: str) -> str:
    """A value on one comment line: `\\n` for a line break, as `_meta` reads it back."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _answer_text(text: str) -> str:
    """An answer inherits the question's format; a text that starts like a format prefix says its own."""
    return ("[markdown]" if text.startswith("[") else "") + _escape(text)


def write_question(question: Question) -> str:
    """One question as GIFT, our other fields in comment lines; ValueError when GIFT cannot hold it."""
    tags = [tag.replace("]", "\\]") for tag in question.tags]
    comments = [" ".join(f"[tag:{tag}]" for tag in tags)] if tags else []
    comments += [f"source: {_comment_value(question.source)}", f"difficulty: {question.difficulty.value}"]
    if question.pool is not Pool.PRACTICE:
        comments.append(f"pool: {question.pool.value}")
    if question.type in (QuestionType.MULTIPLE, QuestionType.MATCHING):
        comments.append(f"partial credit: {'yes' if question.partial_credit else 'no'}")
    text = question.prompt
    if question.scenario:
        comments.append(f"scenario paragraphs: {question.scenario.count(PARAGRAPH_BREAK) + 1}")
        text = question.scenario + PARAGRAPH_BREAK + question.prompt
    head = "\n".join(f"// {c}" for c in comments) + f"\n::{_escape(question.id)}::[markdown]{_escape(text)}"
    general = f"####{_answer_text(question.explanation)}"
    kind = question.type
    if kind is QuestionType.TRUE_FALSE:
        return f"{head}{{{'TRUE' if question.answer else 'FALSE'}{general}}}"
    if kind is QuestionType.SINGLE:
        lines = [("=" if option == question.answer else "~%0%" if option.startswith("%") else "~")
                 + _answer_text(option) for option in question.options]
    elif kind is QuestionType.MULTIPLE:
        share = 100 / len(question.key_options)
        wrong = -share if question.partial_credit else -100.0
        lines = [f"~%{_weight(share if option in question.key_options else wrong)}%{_answer_text(option)}"
                 for option in question.options]
    elif kind is QuestionType.MATCHING:
        if any("->" in left for left, _ in question.pairs):
            raise ValueError("an item holds '->', which GIFT's matching cannot escape")
        lines = [f"={_answer_text(left)} -> {_escape(right)}" for left, right in question.pairs]
    else:
        raise ValueError(f"GIFT has no {kind.value} question")
    return head + "{\n" + "".join(f"\t{line}\n" for line in [*lines, general]) + "}"


def export_gift(module: Module) -> tuple[str, list[str]]:
    """A module as GIFT (category, then its questions) and a line for each question GIFT cannot hold."""
    parts = [f"// {module.title}", "// Written by `python -m modules export-gift`: the comment lines keep the fields "
             "GIFT has no place for.", "", f"$CATEGORY: $course$/top/{module.title.replace('/', '//')}"]
    skipped = []
    for question in module.questions:
        try:
            parts += ["", write_question(question)]
        except ValueError as why:
            skipped.append(f"{question.id} ({question.type.value}): {why}")
    return "\n".join(parts) + "\n", skipped


def preview_rows(module: Module) -> list[dict[str, str]]:
    """One row per imported question for the Bank health preview."""
    return [{"Id": q.id, "Type": q.type.value, "Prompt": q.prompt,
             "Key": "; ".join(q.key_options) or ("; ".join(f"{a} -> {b}" for a, b in q.pairs)
                                                 or str(q.answer).lower())} for q in module.questions]


def suggested_module_id(file_name: str) -> str:
    stem = Path(file_name).name.split(".")[0].lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or "imported"


def _import_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the GIFT file (Moodle's question bank export, or written by hand)")
    parser.add_argument("--module", required=True, help="the id of the module the questions make up")
    parser.add_argument("--out", type=Path, default=None, help="YAML file to write (default: standard output)")


def _write(out: Path | None, text: str) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise BankError(f"cannot write {out}: {error.strerror}") from None


def import_command(args: argparse.Namespace) -> int:
    try:
        raw = args.file.read_bytes()
    except OSError as error:
        raise BankError(f"cannot read {args.file}: {error.strerror}") from None
    live = load_banks(settings.get("TRAINING_BANKS_DIR"))
    try:
        imported = import_gift(str(args.file), raw, args.module, frozenset(live.questions))
    except ImportRejected as rejected:
        print("\n".join(rejected.problems), file=sys.stderr)
        raise
    for note in imported.notes:
        print(note.line_for(str(args.file)), file=sys.stderr)
    if imported.module is None:
        for problem in imported.problems:
            print(f"{args.out or args.module + '.yaml'}:{problem.line}: {problem.message}", file=sys.stderr)
        print("error: the YAML would not pass check-banks, so it was not written", file=sys.stderr)
        return 1
    _write(args.out, imported.yaml)
    print(f"{len(imported.module.questions)} question(s) imported, {len(imported.skipped)} skipped", file=sys.stderr)
    return 0


def _export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--module", required=True, help="the module's id, e.g. skin-science")
    parser.add_argument("--out", type=Path, default=None, help="GIFT file to write (default: standard output)")


def export_command(args: argparse.Namespace) -> int:
    banks = load_banks(settings.get("TRAINING_BANKS_DIR"))
    module = banks.module(args.module)
    if module is None:
        known = ", ".join(m.id for m in banks.modules) or "none loads"
        raise BankError(f"no module '{args.module}' loads (modules: {known}); `check-banks` names any problem")
    text, skipped = export_gift(module)
    for line in skipped:
        print(f"skipped: {line}", file=sys.stderr)
    _write(args.out, text)
    return 0


COMMANDS: list[Command] = [
    Command("import-gift", "Turn a Moodle GIFT file into a question-bank YAML file (the report goes to stderr).",
            _import_args, guarded(import_command)),
    Command("export-gift", "Write one module's questions as Moodle GIFT (ordering questions are left out, named).",
            _export_args, guarded(export_command)),
]

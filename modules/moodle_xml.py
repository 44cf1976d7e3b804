"""Moodle XML export (issue #17): one module's questions as a file Moodle's question bank imports.

The file is a `<quiz>` whose first question is the category (`$course$/<module title>`), then one `<question>` per
bank question in Moodle's own type, with the elements, nesting and attributes Moodle's exporter writes (the
fixtures in tests/data/moodle_xml/ are Moodle's own, and the tests compare the two):

- single -> `multichoice` with `<single>true</single>`: the key 100%, the other options 0%;
- multiple -> `multichoice` with `<single>false</single>`: each key 100/k % (they add up to 100%, as Moodle checks
  on import). With partial credit each wrong option is -100/k %, exactly our scheme (a share per right pick, one
  taken away per wrong pick, never below 0); without it each wrong option is -100 %, so any wrong pick scores 0,
  but Moodle's multichoice has no all-or-nothing mode: there, some but not all of the keys earn a share;
- true_false -> `truefalse`;
- matching -> `matching`: Moodle gives a share per right pair, whether or not our question has partial credit;
- ordering -> `ordering` (Moodle's own type, in moodle/moodle under question/type/ordering; an older site needs
  the qtype_ordering plugin): every item shown, graded ABSOLUTE_POSITION with partial credit (a share per item in
  its place, our scheme) or ALL_OR_NOTHING without.

The name and idnumber are our question id, the scenario comes before the prompt, and our explanation is the
general feedback (we have no per-option feedback, so those stay empty as in Moodle's fixtures). Bank text is plain,
so it is HTML-escaped into the format="html" fields, and ElementTree escapes that again as XML; a matching answer
is plain text in Moodle and is written as it is.
"""

from __future__ import annotations

import argparse
import sys
from html import escape
from pathlib import Path
from xml.etree import ElementTree as ET

from modules import settings
from modules.banks import Module, Question, load_banks
from modules.cli import Command, guarded
from modules.core.errors import TrainingError
from modules.core.types import QuestionType

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# Moodle's defaults for a new question of each type (a penalty only applies to an interactive retry).
PENALTY = {"multichoice": "0.3333333", "truefalse": "1.0000000", "matching": "0.3333333", "ordering": "0.3333333"}
MOODLE_TYPE = {QuestionType.SINGLE: "multichoice", QuestionType.MULTIPLE: "multichoice",
               QuestionType.TRUE_FALSE: "truefalse", QuestionType.MATCHING: "matching",
               QuestionType.ORDERING: "ordering"}
# Moodle's standard combined feedback; ours is the explanation, in the general feedback.
COMBINED_FEEDBACK = (("correctfeedback", "Your answer is correct."),
                     ("partiallycorrectfeedback", "Your answer is partially correct."),
                     ("incorrectfeedback", "Your answer is incorrect."))


def module_xml(module: Module) -> bytes:
    """The module as a Moodle XML file (UTF-8): its category, then every question in bank order."""
    quiz = ET.Element("quiz")
    quiz.append(_category(module))
    for question in module.questions:
        quiz.append(question_element(question))
    ET.indent(quiz, space="  ")
    return DECLARATION + ET.tostring(quiz, encoding="unicode").encode("utf-8") + b"\n"


def category_path(title: str) -> str:
    """Moodle reads a category path split at '/', and '//' as a slash inside a name."""
    return "$course$/" + title.replace("/", "//")


def _category(module: Module) -> ET.Element:
    question = ET.Element("question", type="category")
    _text(question, "category", category_path(module.title))
    objectives = "".join(f"<li>{_html(objective)}</li>" for objective in module.objectives)
    _text(question, "info", f"<p>{_html(module.title)}</p><ul>{objectives}</ul>", "html")
    ET.SubElement(question, "idnumber").text = module.id
    return question


def question_element(question: Question) -> ET.Element:
    """One bank question as Moodle's `<question>` of the matching type."""
    kind = MOODLE_TYPE[question.type]
    element = ET.Element("question", type=kind)
    _text(element, "name", question.id)
    _text(element, "questiontext", _question_html(question), "html")
    _text(element, "generalfeedback", f"<p>{_html(question.explanation)}</p>", "html")
    ET.SubElement(element, "defaultgrade").text = "1.0000000"
    ET.SubElement(element, "penalty").text = PENALTY[kind]
    ET.SubElement(element, "hidden").text = "0"
    ET.SubElement(element, "idnumber").text = question.id
    if question.type is QuestionType.TRUE_FALSE:
        _true_false(element, question.answer is True)
    elif question.type is QuestionType.MATCHING:
        _matching(element, question)
    elif question.type is QuestionType.ORDERING:
        _ordering(element, question)
    else:
        _multichoice(element, question)
    return element


def _question_html(question: Question) -> str:
    scenario = f"<p>{_html(question.scenario)}</p>" if question.scenario else ""
    return f"{scenario}<p>{_html(question.prompt)}</p>"


def _multichoice(element: ET.Element, question: Question) -> None:
    single = question.type is QuestionType.SINGLE
    ET.SubElement(element, "single").text = "true" if single else "false"
    ET.SubElement(element, "shuffleanswers").text = "true"
    ET.SubElement(element, "answernumbering").text = "abc"
    ET.SubElement(element, "showstandardinstruction").text = "0"
    _combined_feedback(element)
    ET.SubElement(element, "shownumcorrect")
    for option, fraction in option_fractions(question):
        answer = ET.SubElement(element, "answer", fraction=fraction, format="html")
        ET.SubElement(answer, "text").text = _html(option)
        _text(answer, "feedback", "", "html")


def option_fractions(question: Question) -> list[tuple[str, str]]:
    """Each option of a single or multiple question with its Moodle fraction (a percentage, as Moodle writes it)."""
    keys = question.key_options
    if question.type is QuestionType.SINGLE:
        return [(option, "100" if option in keys else "0") for option in question.options]
    wrong = -100 / len(keys) if question.partial_credit else -100.0
    return [(option, percent(100 / len(keys) if option in keys else wrong)) for option in question.options]


def percent(value: float) -> str:
    """A fraction as Moodle writes it: 100, 50, 33.33333, -100 (within Moodle's 0.00001 match on import)."""
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _true_false(element: ET.Element, key: bool) -> None:
    for value in (True, False):
        answer = ET.SubElement(element, "answer", fraction="100" if value is key else "0",
                               format="moodle_auto_format")
        ET.SubElement(answer, "text").text = "true" if value else "false"
        _text(answer, "feedback", "", "html")


def _matching(element: ET.Element, question: Question) -> None:
    ET.SubElement(element, "shuffleanswers").text = "true"
    _combined_feedback(element)
    ET.SubElement(element, "shownumcorrect")
    for left, right in question.pairs:
        subquestion = ET.SubElement(element, "subquestion", format="html")
        ET.SubElement(subquestion, "text").text = _html(left)
        _text(subquestion, "answer", right)


def _ordering(element: ET.Element, question: Question) -> None:
    for tag, value in (("layouttype", "VERTICAL"), ("selecttype", "ALL"), ("selectcount", str(len(question.items))),
                       ("gradingtype", "ABSOLUTE_POSITION" if question.partial_credit else "ALL_OR_NOTHING"),
                       ("showgrading", "SHOW"), ("numberingstyle", "none")):
        ET.SubElement(element, tag).text = value
    _combined_feedback(element)
    ET.SubElement(element, "shownumcorrect").text = "1"
    # Moodle keeps an ordering item's place in its fraction (1, 2, 3, ...) and writes no empty feedback.
    for place, item in enumerate(question.items, start=1):
        answer = ET.SubElement(element, "answer", fraction=f"{place}.0000000", format="html")
        ET.SubElement(answer, "text").text = _html(item)


def _combined_feedback(element: ET.Element) -> None:
    for tag, sentence in COMBINED_FEEDBACK:
        _text(element, tag, sentence, "html")


def _text(parent: ET.Element, tag: str, text: str, text_format: str | None = None) -> ET.Element:
    """`<tag format="..."><text>...</text></tag>`, Moodle's shape for every piece of text."""
    element = ET.SubElement(parent, tag, {"format": text_format} if text_format else {})
    ET.SubElement(element, "text").text = text
    return element


def _html(text: str) -> str:
    return escape(text, quote=False)  # element content only: quotes need no escape there


def _export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--module", required=True, help="the module's id, e.g. skin-science")
    parser.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    parser.add_argument("--banks", type=Path, default=None,
                        help="folder of bank files (default: the TRAINING_BANKS_DIR setting)")


def export_moodle_xml(args: argparse.Namespace) -> int:
    directory = Path(args.banks or settings.get("TRAINING_BANKS_DIR"))
    banks = load_banks(directory)
    module = banks.module(args.module)
    if module is None:
        known = ", ".join(m.id for m in banks.modules) or "none"
        raise TrainingError(f"there is no valid module '{args.module}' in {directory} (valid modules: {known}); "
                            "`python -m modules check-banks` lists any problem")
    data = module_xml(module)
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    try:
        args.out.write_bytes(data)
    except OSError as error:
        raise TrainingError(f"could not write {args.out}: {error.strerror or error}") from None
    print(f"OK: {len(module.questions)} question(s) of {module.id} written to {args.out} as Moodle XML.")
    return 0


COMMANDS: list[Command] = [
    Command("export-moodle-xml", "Write one module as Moodle XML for Moodle's question bank (stdout without --out).",
            _export_args, guarded(export_moodle_xml)),
]

"""Moodle XML export: the shape of Moodle's own fixtures (tests/data/moodle_xml/, see SOURCE.md), text that
survives escaping, and every live module read back with its keys and Moodle's fractions."""

from __future__ import annotations

import html
import itertools
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from modules import grading, settings
from modules.__main__ import main
from modules.banks import Module, Question, load_banks
from modules.core.types import Difficulty, ModuleId, QuestionId, QuestionType
from modules.moodle_xml import category_path, module_xml, question_element

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "moodle_xml"
LIVE = Path(settings.SETTINGS["TRAINING_BANKS_DIR"].default)
# Moodle's question_bank::fraction_options_full(): the only fractions its import accepts (within 0.00001).
MOODLE_FRACTIONS = [0.0, 1.0] + [sign * f for f in (0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4,
                                                    0.3333333, 0.3, 0.25, 0.2, 0.1666667, 0.1428571, 0.125,
                                                    0.1111111, 0.1, 0.05) for sign in (1, -1)] + [-1.0]


def make(qtype: QuestionType, **fields: object) -> Question:
    values: dict[str, object] = {"prompt": "Pick one.", "explanation": "Because.", "source": "clinic-material: X",
                                 "difficulty": Difficulty.EASY, "tags": ("t",)}
    values.update(fields)
    return Question(id=QuestionId("test-001"), module_id=ModuleId("test"), type=qtype, **values)


SAMPLES = {
    "single": make(QuestionType.SINGLE, options=("A", "B", "C"), answer="B"),
    "multiple": make(QuestionType.MULTIPLE, options=("A", "B", "C", "D"), answer=("A", "C"), partial_credit=True),
    "true_false": make(QuestionType.TRUE_FALSE, answer=False),
    "matching": make(QuestionType.MATCHING, pairs=(("frog", "amphibian"), ("cat", "mammal"), ("ant", "insect"))),
    "ordering": make(QuestionType.ORDERING, items=("First", "Second", "Third"), partial_credit=True),
}
# Our type -> (Moodle's fixture, its question type, what of the fixture we deliberately do not write).
# Hints and embedded files we do not have; Moodle itself writes no empty ordering feedback; idnumber (our id) is
# written for every type, as Moodle's exporter does, though two of the fixtures predate it.
FIXTURE_OF = {
    "single": ("multichoice_testquestion.moodle.xml", "multichoice", ("/hint",), True),
    "multiple": ("multichoice_testquestion.moodle.xml", "multichoice", ("/hint",), True),
    "true_false": ("nested_categories_with_questions.xml", "truefalse", (), False),
    "matching": ("match_testquestion.moodle.xml", "matching", ("/hint",), True),
    "ordering": ("ordering_testexport.moodle.xml", "ordering", ("/hint", "/answer[format=html,fraction]/feedback"),
                 False),
}


def fixture_question(file: str, qtype: str) -> ET.Element:
    root = ET.parse(FIXTURES / file).getroot()
    return root if root.get("type") == qtype else next(q for q in root.iter("question") if q.get("type") == qtype)


def paths(element: ET.Element, prefix: str = "", formats: bool = True) -> set[str]:
    """Every element below `element` as a path of tags, each with its attribute names (and format values)."""
    found = set()
    for child in element:
        attributes = ",".join(f"{name}={value}" if name == "format" and formats else name
                              for name, value in sorted(child.attrib.items()))
        path = f"{prefix}/{child.tag}[{attributes}]" if attributes else f"{prefix}/{child.tag}"
        found |= {path} | paths(child, path, formats)
    return found


def child_tags(element: ET.Element) -> list[str]:
    return [tag for tag, _ in itertools.groupby(child.tag for child in element)]


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_each_type_has_the_elements_nesting_and_attributes_of_moodles_fixture(kind):
    file, moodle_type, omitted, add_idnumber = FIXTURE_OF[kind]
    theirs = fixture_question(file, moodle_type)
    ours = question_element(SAMPLES[kind])
    assert ours.tag == "question" and ours.attrib == {"type": moodle_type}
    expected = {p for p in paths(theirs) if not p.startswith(omitted)} | ({"/idnumber"} if add_idnumber else set())
    assert paths(ours) == expected
    # The same order of elements as Moodle's, for those both have.
    assert [t for t in child_tags(ours) if t in child_tags(theirs)] == \
           [t for t in child_tags(theirs) if t in child_tags(ours)]


def test_the_file_is_a_quiz_that_opens_with_its_category_shaped_like_moodles():
    module = Module(ModuleId("test"), "Skin / science", 1, ("Know A & B",), "lesson", tuple(SAMPLES.values()), "x")
    data = module_xml(module)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    quiz = ET.fromstring(data)
    category, *questions = list(quiz)
    theirs = fixture_question("nested_categories_with_questions.xml", "category")
    assert paths(category, formats=False) == paths(theirs, formats=False)
    assert category.findtext("category/text") == "$course$/Skin // science"  # '//' keeps a slash in the name
    assert [q.get("type") for q in questions] == ["multichoice", "multichoice", "truefalse", "matching", "ordering"]


def test_category_path_doubles_a_slash_as_moodle_reads_it():
    assert category_path("Safety") == "$course$/Safety"
    assert category_path("Tips/needles") == "$course$/Tips//needles"


def test_text_with_markup_characters_quotes_and_non_ascii_survives_as_text():
    scenario = 'Client says: "It\'s <b>fine</b> & café" – 日本'
    prompt = "Is 2 < 3 <script>alert(1)</script>?"
    question = make(QuestionType.MATCHING, scenario=scenario, prompt=prompt, explanation="A & B < C",
                    pairs=(("x < y", 'say "yes" & go'), ("ü", "ß")))
    data = module_xml(Module(ModuleId("m"), "Module é", 1, ("o",), "l", (question,), "x"))
    assert "café".encode() in data and b"<script>" not in data and b"<b>" not in data
    element = ET.fromstring(data).find("question[@type='matching']")
    assert element is not None
    text = element.find("questiontext/text")
    assert text is not None and len(text) == 0  # the '<' in our text made no element
    # As HTML (how Moodle shows it) the only tags are our paragraphs: the scenario comes first, and both read back.
    assert re.findall(r"<[^>]*>", text.text or "") == ["<p>", "</p>", "<p>", "</p>"]
    assert [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", text.text or "")] == [scenario, prompt]
    assert element.findtext("generalfeedback/text") == "<p>A &amp; B &lt; C</p>"
    # A matching answer is plain text in Moodle, so it is written as it is.
    assert [(html.unescape(s.findtext("text") or ""), s.findtext("answer/text"))
            for s in element.iter("subquestion")] == [("x < y", 'say "yes" & go'), ("ü", "ß")]


def moodle_score(fractions: dict[str, float], picked: set[str]) -> float:
    """Moodle's multichoice grade: the picks' fractions added up, kept within 0..1."""
    return min(1.0, max(0.0, sum(fractions[option] for option in picked) / 100))


def answer_fractions(element: ET.Element) -> dict[str, float]:
    return {html.unescape(a.findtext("text") or ""): float(a.get("fraction", "nan")) for a in element.iter("answer")}


@pytest.mark.parametrize("partial", [True, False])
def test_multiple_choice_weights_grade_in_moodle_as_they_do_here(partial):
    question = make(QuestionType.MULTIPLE, options=("A", "B", "C", "D", "E"), answer=("A", "B", "D"),
                    partial_credit=partial)
    fractions = answer_fractions(question_element(question))
    shown = grading.show(question)
    for size in range(len(question.options) + 1):
        for picked in itertools.combinations(question.options, size):
            ours = grading.grade(shown, list(picked))
            if partial or ours == 1.0 or set(picked) - {"A", "B", "D"}:
                assert moodle_score(fractions, set(picked)) == pytest.approx(ours, abs=1e-4), picked
            else:  # Moodle's multichoice has no all-or-nothing: some of the keys alone earn a share there
                assert 0 < moodle_score(fractions, set(picked)) < 1 or not picked


def check_read_back(question: Question, element: ET.Element) -> None:
    """The question as Moodle would read it: present, in its type, with its key at fraction 100 (or the weights)."""
    assert element.findtext("name/text") == question.id == element.findtext("idnumber")
    shown_text = html.unescape(element.findtext("questiontext/text") or "")
    assert shown_text == (f"<p>{question.scenario}</p>" if question.scenario else "") + f"<p>{question.prompt}</p>"
    assert html.unescape(element.findtext("generalfeedback/text") or "") == f"<p>{question.explanation}</p>"
    kind = question.type
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        fractions = answer_fractions(element)
        assert list(fractions) == list(question.options)
        keys = set(question.key_options)
        assert {option for option, f in fractions.items() if f > 0} == keys
        assert round(sum(f for f in fractions.values() if f > 0) / 100, 2) == 1.0  # Moodle's import check
        assert all(any(abs(f / 100 - g) < 0.00001 for g in MOODLE_FRACTIONS) for f in fractions.values())
        assert element.findtext("single") == ("true" if kind is QuestionType.SINGLE else "false")
        if kind is QuestionType.SINGLE:
            assert [o for o, f in fractions.items() if f == 100] == [question.answer]
    elif kind is QuestionType.TRUE_FALSE:
        assert {a.findtext("text"): a.get("fraction") for a in element.iter("answer")} == \
               {"true": "100" if question.answer else "0", "false": "0" if question.answer else "100"}
    elif kind is QuestionType.MATCHING:
        assert [(html.unescape(s.findtext("text") or ""), s.findtext("answer/text"))
                for s in element.iter("subquestion")] == list(question.pairs)
    else:
        ordered = sorted(element.iter("answer"), key=lambda a: float(a.get("fraction", "nan")))
        assert [html.unescape(a.findtext("text") or "") for a in ordered] == list(question.items)
        assert element.findtext("selectcount") == str(len(question.items))
        assert element.findtext("gradingtype") == ("ABSOLUTE_POSITION" if question.partial_credit
                                                   else "ALL_OR_NOTHING")


def test_every_live_module_exports_and_reads_back_with_every_question_and_its_key():
    banks = load_banks(LIVE)
    assert len(banks.modules) == 8
    for module in banks.modules:
        quiz = ET.fromstring(module_xml(module))
        category, *questions = list(quiz)
        assert category.get("type") == "category"
        assert category.findtext("category/text") == category_path(module.title)
        by_name = {q.findtext("name/text"): q for q in questions}
        assert list(by_name) == [q.id for q in module.questions], module.id
        for question in module.questions:
            check_read_back(question, by_name[question.id])


def test_the_command_writes_standard_output_or_a_file(capsysbinary, tmp_path):
    module = load_banks(LIVE).module("safety")
    assert module is not None
    assert main(["export-moodle-xml", "--module", "safety", "--banks", str(LIVE)]) == 0
    assert capsysbinary.readouterr().out == module_xml(module)
    out = tmp_path / "safety.xml"
    assert main(["export-moodle-xml", "--module", "safety", "--banks", str(LIVE), "--out", str(out)]) == 0
    assert out.read_bytes() == module_xml(module)
    assert b"written to" in capsysbinary.readouterr().out


def test_the_command_says_plainly_what_is_wrong(capsys, tmp_path):
    assert main(["export-moodle-xml", "--module", "no-such", "--banks", str(LIVE)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: there is no valid module 'no-such'") and "skin-science" in err
    assert "Traceback" not in err
    assert main(["export-moodle-xml", "--module", "safety", "--banks", str(LIVE),
                 "--out", str(tmp_path / "missing" / "x.xml")]) == 1
    assert capsys.readouterr().err.startswith("error: could not write")

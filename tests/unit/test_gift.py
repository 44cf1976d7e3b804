"""Moodle GIFT import and export: Moodle's own fixtures import (mapped questions whole, the rest skipped with their
line), every live module round-trips YAML -> GIFT -> YAML, and a malformed file gives FILE:LINE, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from modules import gift
from modules.__main__ import main
from modules.banks import Module, Question, check_module_file, load_banks, module_files
from modules.core.errors import BankError, ImportRejected
from modules.core.types import Difficulty, ModuleId, Pool, QuestionId, QuestionType
from tests.helpers import FIXTURE_BANKS

ROOT = Path(__file__).resolve().parents[2]
MOODLE = ROOT / "tests" / "data" / "moodle_gift"
LIVE_BANKS = ROOT / "question_banks"


def imported(text: str, module_id: str = "imported", taken: frozenset[str] = frozenset()) -> gift.Imported:
    return gift.import_gift("quiz.gift", text.encode("utf-8"), module_id, taken)


def only(text: str) -> Question:
    result = imported(text)
    assert result.module is not None, result.problems
    (question,) = result.module.questions
    return question


def skipped(result: gift.Imported) -> dict[int, str]:
    return {note.line: note.message for note in result.skipped}


def moodle(name: str) -> gift.Imported:
    return gift.import_gift(name, (MOODLE / name).read_bytes(), "moodle-fixtures")


# Moodle's own fixtures (question/format/gift/tests/fixtures/ and examples.txt)

def test_moodles_questions_fixture_imports_the_mappable_questions_and_names_the_rest_with_their_line():
    result = moodle("questions.gift.txt")
    assert result.module is not None and result.problems == ()
    by_prompt = {}
    for question in result.module.questions:
        by_prompt.setdefault(question.prompt, []).append(question)
    single = next(q for q in result.module.questions if q.type is QuestionType.SINGLE)
    assert single.prompt == "What's between orange and green in the spectrum?"
    assert single.options == ("yellow", "red", "blue") and single.answer == "yellow"
    assert single.id == "moodle-fixtures-001"  # the name 'Q2' is not a valid id
    # Answer feedback has no field of its own: it is kept in the explanation, prefixes ([html], [plain]) removed.
    assert single.explanation == "- yellow: right; good!\n- red: wrong, it's yellow\n- blue: wrong, it's yellow"
    colours = result.module.questions[1]
    assert colours.id == "colours" and colours.type is QuestionType.MULTIPLE
    assert colours.options == ("yellow", "red", "off-beige", "blue")
    assert colours.answer == ("yellow", "off-beige")
    assert colours.partial_credit is False  # -100% on wrong options is not Moodle's usual -50% for two keys
    true_false = [q for q in result.module.questions if q.type is QuestionType.TRUE_FALSE]
    assert [(q.prompt, q.answer) for q in true_false] == [("TSL is blablabla.", True)] * 2
    assert len({q.id for q in true_false}) == 2  # the same name twice still gives two ids
    assert all(q.source == gift.DEFAULT_SOURCE and q.difficulty is Difficulty.MEDIUM for q in result.module.questions)
    assert skipped(result) == {
        2: "'Q8': essay (marked by hand): our banks have no open-answer question",
        5: "'Moodle activities': the extra answer 'Chat' has no item to pair with; our matching has no distractors",
        31: "'Q5': " + gift.UNSUPPORTED[gift.Kind.MISSING_WORD],
        34: "'Shortanswer': short answer (typed text): our banks have no typed-answer question",
        41: "'Q1': " + gift.UNSUPPORTED[gift.Kind.MISSING_WORD],  # `\";` follows its answer block
    }
    # Moodle's behat test imports 9 questions from this file: each is either imported or skipped.
    assert len(result.module.questions) + len(result.skipped) == 9


def test_moodles_category_fixture_takes_the_category_as_title_and_strips_html():
    result = moodle("questions_in_category.gift.txt")
    assert result.module is not None
    assert result.module.title == "Default for New Features"
    (acronym,) = result.module.questions
    assert acronym.type is QuestionType.TRUE_FALSE and acronym.answer is True
    assert acronym.prompt == "Moodle is an acronym for Modular Object-Oriented Dynamic Learning Environment."
    assert "# Moodle category: $course$/Default for New Features" in result.yaml
    assert skipped(result) == {
        5: "'Moodle activities': the extra answer 'Chat' has no item to pair with; our matching has no distractors",
        14: "'Greeting': its HTML holds <a> (a link or media), which a bank question cannot show",
        22: "'Moodle user': short answer (typed text): our banks have no typed-answer question",
    }


def test_moodles_examples_escapes_weights_and_matching():
    result = moodle("examples.txt")
    assert result.module is not None
    questions = result.module.questions
    equals_five = next(q for q in questions if q.prompt == "Which answer equals 5?")
    assert equals_five.options == ("= 2 + 2", "= 2 + 3", "= 2 + 4") and equals_five.answer == "= 2 + 3"
    control = next(q for q in questions if q.prompt.startswith("Which of the following is NOT a control"))
    assert control.options == ("~", "=", "#", "{", "}", "\\") and control.answer == "\\"
    # A wrapped feedback line is one sentence, as Moodle shows it.
    assert "- \\: Correct! \\ (backslash) is not a control character. BUT, it is used to escape" in control.explanation
    capitals = next(q for q in questions if q.prompt == "Match the following countries with their corresponding "
                                                        "capitals." and len(q.pairs) == 4)
    assert capitals.pairs == (("Canada", "Ottawa"), ("Italy", "Rome"), ("Japan", "Tokyo"), ("India", "New Delhi"))
    assert capitals.partial_credit is True  # Moodle grades each pair
    entombed = [q for q in questions if q.prompt == "What two people are entombed in Grant's tomb?"]
    assert [(q.answer, q.partial_credit) for q in entombed] == [(("Grant", "Grant's wife"), False),
                                                                (("Grant", "Grant's wife"), True)]
    assert any(n.kind == "note" and n.line == 130 and "imported as all-or-nothing" in n.message for n in result.notes)
    reasons = skipped(result)
    assert reasons[115].startswith("'Difficult question.': a single-choice question needs exactly one right option")
    assert reasons[16] == "'When was Ulysses S. Grant born?': " + gift.UNSUPPORTED[gift.Kind.NUMERICAL]
    assert reasons[90] == "'Kanji Origins': " + gift.UNSUPPORTED[gift.Kind.SHORT_ANSWER]
    assert reasons[10] == "'Grant is _____ in Grant's tomb.': " + gift.UNSUPPORTED[gift.Kind.MISSING_WORD]


# Our banks round-trip

@pytest.mark.parametrize("path", module_files(LIVE_BANKS), ids=lambda p: p.name)
def test_every_live_module_round_trips_through_gift(path):
    module, problems = check_module_file(path.name, path.read_bytes())
    assert module is not None, problems
    text, left_out = gift.export_gift(module)
    result = gift.import_gift("export.gift", text.encode("utf-8"), module.id)
    assert result.module is not None, result.problems
    # Every field of every question GIFT can hold comes back unchanged (Question equality covers them all).
    assert result.module.questions == tuple(q for q in module.questions if q.type is not QuestionType.ORDERING)
    assert result.module.title == module.title
    assert left_out == [f"{q.id} (ordering): GIFT has no ordering question" for q in module.questions
                        if q.type is QuestionType.ORDERING]
    assert result.skipped == ()


def test_the_live_banks_hold_every_field_the_round_trip_must_keep():
    """So that the round trip above proves something: scenarios, exam items, both partial-credit settings' kinds."""
    questions = [q for m in load_banks(LIVE_BANKS).modules for q in m.questions]
    assert any(q.scenario for q in questions) and any(q.pool is Pool.EXAM for q in questions)
    assert {q.type for q in questions} == set(QuestionType)


def made_up(**changes: object) -> Module:
    base: dict[str, object] = dict(
        id=QuestionId("esc-001"), module_id=ModuleId("escapes"), type=QuestionType.SINGLE,
        prompt="Which of ~ = # { } : \\ is a GIFT control character?\nSecond line", scenario="A case: {x}\n\nMore",
        options=("~tilde", "=equals", "#hash", "[html]<b>not html</b>", "%50% off", "a\\b -> c"), answer="=equals",
        explanation="[markdown] Because # and = and ~ are; see {this}.", source="clinic-material: A: B \\n [1]",
        difficulty=Difficulty.HARD, tags=("x]y", "a b"), pool=Pool.EXAM)
    base.update(changes)
    return Module(ModuleId("escapes"), "Escapes / odd: things", 1, ("o",), "lesson", (Question(**base),), "x.yaml")


@pytest.mark.parametrize("changes", [
    {},
    {"type": QuestionType.MULTIPLE, "answer": ("~tilde", "#hash"), "partial_credit": False},
    {"type": QuestionType.MULTIPLE, "answer": ("~tilde",), "partial_credit": True},
    {"type": QuestionType.MATCHING, "options": (), "answer": None, "partial_credit": False,
     "pairs": (("{left}", "=right"), ("[plain]a:b", "c -> d"), ("#3", "~4"))},
    {"type": QuestionType.TRUE_FALSE, "options": (), "answer": False},
], ids=["single", "multiple-all-or-nothing", "multiple-one-key", "matching", "true-false"])
def test_text_with_every_control_character_round_trips(changes):
    module = made_up(**changes)
    text, left_out = gift.export_gift(module)
    assert left_out == []
    result = gift.import_gift("odd.gift", text.encode("utf-8"), "escapes")
    assert result.module is not None, result.problems
    (original,) = module.questions
    back = result.module.questions[0]
    assert (back.id, back.scenario, back.prompt, back.options, back.answer, back.pairs, back.explanation,
            back.source, back.difficulty, back.tags, back.pool, back.partial_credit) == (
        original.id, original.scenario, original.prompt, original.options, original.answer, original.pairs,
        original.explanation, original.source, original.difficulty, original.tags, original.pool,
        original.partial_credit)
    assert result.module.title == "Escapes / odd: things"


def test_the_writer_escapes_what_gift_reserves():
    text, _ = gift.export_gift(made_up())
    assert "Which of \\~ \\= \\# \\{ \\} \\: \\\\ is a GIFT control character?\\nSecond line" in text
    assert "\t=\\=equals\n" in text and "\t~%0%%50% off\n" in text and "\t~[markdown][html]<b>not html</b>\n" in text
    assert ("// [tag:x\\]y] [tag:a b]\n// source: clinic-material: A: B \\\\n [1]\n// difficulty: hard\n"
            "// pool: exam") in text
    assert "$CATEGORY: $course$/top/Escapes // odd: things" in text


def test_an_arrow_in_a_matching_item_or_an_ordering_question_is_left_out_and_named():
    matching = made_up(type=QuestionType.MATCHING, options=(), answer=None, pairs=(("a -> b", "c"), ("d", "e")))
    assert gift.export_gift(matching)[1] == ["esc-001 (matching): an item holds '->', which GIFT's matching cannot "
                                             "escape"]


# Reading GIFT: escapes, prefixes, categories, comments, weights

def test_escapes_are_read_as_their_characters():
    question = only("::q-1::Is 1 \\= 1 \\{really\\} \\#1\\: yes\\nor no?{TRUE####a \\~ b \\\\ c}")
    assert question.prompt == "Is 1 = 1 {really} #1: yes\nor no?"
    assert question.explanation == "a ~ b \\ c"


def test_format_prefixes_are_removed_and_html_becomes_text():
    question = only("::q-1::[html]<p>Pick the <b>right</b> one &amp; only&nbsp;one</p>{\n"
                    "=[plain]right\n~[moodle]wrong\n~[markdown]*also* wrong\n~[other]kept as typed\n"
                    "####[html]Because <i>it is</i>.}")
    assert question.prompt == "Pick the **right** one & only one"
    assert question.options == ("right", "wrong", "*also* wrong", "[other]kept as typed")
    assert question.explanation == "Because *it is*."


def test_html_with_an_image_is_skipped_and_markdown_images_too():
    result = imported("::q-1::[html]Look <img src\\=\"x.png\">{T}\n\n::q-2::[markdown]![x](http://x/y.png){T}\n\n"
                      "::q-3::fine{F}")
    assert skipped(result) == {1: "'q-1': its HTML holds <img> (a link or media), which a bank question cannot show",
                               3: "'q-2': it shows an image or embedded media, which a bank question cannot hold"}
    assert result.module is not None and [q.id for q in result.module.questions] == ["q-3"]


def test_categories_and_comments():
    result = imported("// a file comment, alone in its block\n\n$CATEGORY: $course$/top/Hand care\n\n"
                      "// comment above\n::q-1::Hands first?\n// a comment inside is ignored\n{T}\n\n"
                      "$CATEGORY: $course$/top/Other\n\n::q-2::Second?{F}\n")
    assert result.module is not None and result.module.title == "Hand care"
    assert [q.prompt for q in result.module.questions] == ["Hands first?", "Second?"]
    assert "  # Moodle category: $course$/top/Hand care\n" in result.yaml
    assert "  # Moodle category: $course$/top/Other\n" in result.yaml


def test_our_fields_are_read_from_comments_and_defaults_are_named():
    result = imported("// [tag:skin] [tag:depth]\n// source: clinic-material: Skin\n// difficulty: hard\n"
                      "// pool: exam\n// scenario paragraphs: 1\n::q-1::A client asks.\\n\\nWhat next?{T}\n\n"
                      "::q-2::Bare?{F}")
    assert result.module is not None
    first, bare = result.module.questions
    assert (first.tags, first.source, first.difficulty, first.pool) == (("skin", "depth"), "clinic-material: Skin",
                                                                       Difficulty.HARD, Pool.EXAM)
    assert (first.scenario, first.prompt) == ("A client asks.", "What next?")
    assert (bare.source, bare.explanation, bare.difficulty, bare.tags) == (gift.DEFAULT_SOURCE,
                                                                           gift.DEFAULT_EXPLANATION,
                                                                           Difficulty.MEDIUM, ())
    assert "# to complete (GIFT has no place for them): explanation, source, difficulty, tags" in result.yaml
    assert any(n.message.startswith("2 question(s) hold defaults") for n in result.notes)


def test_weights_single_partial_credit_is_skipped_and_multiple_shares_must_be_equal():
    result = imported("::a-1::Pick{=right ~%50%half ~wrong}\n\n::a-2::Pick all{~%70%a ~%30%b ~c}\n\n"
                      "::a-3::Pick all{~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-33.33333%d}\n\n"
                      "// partial credit: no\n::a-4::Pick all{~%50%a ~%50%b ~%-50%c}\n\n"
                      "::a-5::Pick{=a ~%-50%b}")
    assert skipped(result) == {
        1: "'a-1': a single-choice question needs exactly one right option at 100%, this one has 100%, 50%; our "
           "single choice gives no partial credit",
        3: "'a-2': the right options' weights (70%, 30%) are not equal shares of 100%; our multiple choice gives each "
           "right option the same share",
    }
    assert result.module is not None
    three_keys, said_no, single = result.module.questions
    assert three_keys.answer == ("a", "b", "c") and three_keys.partial_credit is True
    assert said_no.partial_credit is False  # the comment wins over the weights
    assert single.type is QuestionType.SINGLE and single.answer == "a"
    assert any(n.line == 10 and "graded 0 here" in n.message for n in result.notes)


def test_a_question_the_checker_would_refuse_is_skipped_whole():
    result = imported("::q-1::Too many{=a ~b ~c ~d ~e ~f ~g}\n\n::q-2::Twice{=a ~a}\n\n::q-3::Fine{T}")
    assert skipped(result) == {1: "'q-1': 'options' allows at most 6 entries, has 7",
                               3: "'q-2': 'options' has duplicates: 'a'"}


def test_names_become_ids_when_valid_and_generated_ids_avoid_the_banks():
    result = imported("::Not An Id::x?{T}\n\n::ok-1::y?{T}\n\n// [id:from-idnumber]\n::Q::z?{T}\n\n::ok-1::again?{T}",
                      module_id="care", taken=frozenset({"care-001", "ok-1"}))
    assert result.module is not None
    assert [q.id for q in result.module.questions] == ["care-002", "ok-1", "from-idnumber", "care-003"]
    assert "# GIFT line 1, Moodle name 'Not An Id'" in result.yaml
    assert any("1 question id(s) are already in the banks (ok-1)" in n.message for n in result.notes)


def test_a_bad_module_id_is_refused_in_a_sentence():
    with pytest.raises(BankError, match="module id 'Bad Id' must be lowercase"):
        imported("::q::x{T}", module_id="Bad Id")


# Malformed files: FILE:LINE, nothing imported, never a traceback

@pytest.mark.parametrize(("text", "problem"), [
    ("::q-1::ok{T}\n\n::q-2::Open\n{=a\n~b\n", "quiz.gift:4: '{' opens an answer block that is never closed with '}'"),
    ("::q-1::Closed} early{T}", "quiz.gift:1: '}' without an opening '{' (write \\} for a brace in text)"),
    ("::q-1::x{=a ~{b}", "quiz.gift:1: a second '{' inside the answer block (write \\{ for a brace in text)"),
    ("::q-1::Match{\n=a -> 1\n=b 2\n}", "quiz.gift:3: matching answer 'b 2' has no '->'"),
    ("\n\n::q-1 never closed{T}", "quiz.gift:3: the question name opened with '::' is never closed"),
    ("::q-1::One{~only}", "quiz.gift:1: a multiple-choice question needs at least two answers"),
])
def test_a_malformed_file_names_file_and_line_and_imports_nothing(text, problem):
    with pytest.raises(ImportRejected) as rejected:
        imported(text)
    assert rejected.value.problems == [problem]
    assert "nothing was imported" in str(rejected.value)


def test_a_file_that_is_not_utf8_names_its_line():
    with pytest.raises(ImportRejected) as rejected:
        gift.import_gift("latin.gift", "::q::ok{T}\n\n::r::caf\u00e9{T}".encode("latin-1"), "m")
    assert rejected.value.problems == ["latin.gift:3: not UTF-8 text; save it as UTF-8"]


# The commands

@pytest.fixture
def fixture_banks(monkeypatch):
    monkeypatch.setenv("TRAINING_BANKS_DIR", str(FIXTURE_BANKS))


def test_import_gift_writes_yaml_the_checker_accepts(fixture_banks, tmp_path, capsys):
    out = tmp_path / "moodle.yaml"
    assert main(["import-gift", str(MOODLE / "questions.gift.txt"), "--module", "moodle", "--out", str(out)]) == 0
    module, problems = check_module_file(out.name, out.read_bytes())
    assert problems == [] and module is not None and len(module.questions) == 4
    err = capsys.readouterr().err
    assert f"{MOODLE / 'questions.gift.txt'}:2: skipped: 'Q8': essay" in err
    assert "4 question(s) imported, 5 skipped" in err


def test_import_gift_without_out_prints_the_yaml(fixture_banks, capsys):
    assert main(["import-gift", str(MOODLE / "questions_in_category.gift.txt"), "--module", "moodle"]) == 0
    printed = capsys.readouterr()
    assert printed.out.startswith("# Imported from questions_in_category.gift.txt")
    assert check_module_file("m.yaml", printed.out.encode())[1] == []


def test_import_gift_on_a_malformed_file_prints_file_line_and_no_traceback(fixture_banks, tmp_path, capsys):
    bad = tmp_path / "bad.gift"
    bad.write_text("::q-1::fine{T}\n\n::q-2::Open{=a ~b\n")
    out = tmp_path / "never.yaml"
    assert main(["import-gift", str(bad), "--module", "m", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3: '{{' opens an answer block that is never closed with '}}'" in err
    assert "error: " in err and "Traceback" not in err and not out.exists()


def test_import_gift_when_nothing_can_be_imported_says_why_and_writes_nothing(fixture_banks, tmp_path, capsys):
    only_essays = tmp_path / "essays.gift"
    only_essays.write_text("::e::Describe your day.{}\n")
    out = tmp_path / "never.yaml"
    assert main(["import-gift", str(only_essays), "--module", "m", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{only_essays}:1: skipped: 'e': essay" in err
    assert "'questions' needs at least 1 entry, has 0" in err and not out.exists()


def test_import_gift_on_a_missing_file_is_one_error_line(fixture_banks, tmp_path, capsys):
    assert main(["import-gift", str(tmp_path / "nope.gift"), "--module", "m"]) == 1
    assert capsys.readouterr().err.startswith(f"error: cannot read {tmp_path / 'nope.gift'}")


def test_export_gift_writes_a_module_that_imports_back(fixture_banks, tmp_path, capsys):
    out = tmp_path / "skin.gift"
    assert main(["export-gift", "--module", "skin-science", "--out", str(out)]) == 0
    original = load_banks(FIXTURE_BANKS).module("skin-science")
    assert original is not None
    back = gift.import_gift(out.name, out.read_bytes(), "skin-science")
    assert back.module is not None
    assert back.module.questions == tuple(q for q in original.questions if q.type is not QuestionType.ORDERING)
    assert main(["export-gift", "--module", "skin-science"]) == 0
    assert capsys.readouterr().out == out.read_text()


def test_export_gift_of_an_unknown_module_names_the_ones_that_exist(fixture_banks, capsys):
    assert main(["export-gift", "--module", "nails"]) == 1
    assert capsys.readouterr().err.startswith("error: no module 'nails' loads (modules: skin-science, ")

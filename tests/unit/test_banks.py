"""Bank validation: every kind of bad bank gives its message on the right line, and good banks keep working."""

from pathlib import Path

import pytest
import yaml

from modules.__main__ import main
from modules.banks import IMAGE_RULE, POLICY_FILE, load_banks
from modules.core.types import QuestionType

VALID = """\
module:
  id: demo
  title: "Demo module"
  order: 1
  objectives: ["Know the demo"]
  lesson: |
    ## After this module you can
    - know the demo
questions:
  - id: demo-001
    type: single
    prompt: "Which layer is removed?"
    options: ["Stratum corneum", "Dermis", "Fat"]
    answer: "Stratum corneum"
    explanation: "Only the surface is polished."
    source: "clinic-material: Microdermabrasion Science & Safety"
    difficulty: easy
    tags: [skin]
  - id: demo-002
    type: multiple
    prompt: "Pick the PPE"
    options: ["Gloves", "Mask", "Sandals"]
    answer: ["Gloves", "Mask"]
    partial_credit: true
    explanation: "Gloves and mask protect."
    source: "clinical-facts: Safety and infection control [NIC]"
    difficulty: medium
    tags: [ppe]
  - id: demo-003
    type: true_false
    prompt: "Sunscreen goes on after treatment."
    answer: true
    explanation: "Fresh skin burns easily."
    source: "clinic-material: How Microdermabrasion Treatments Work in Practice"
    difficulty: easy
    tags: []
  - id: demo-004
    type: ordering
    prompt: "Put in order"
    items: ["Cleanse", "Treat", "Moisturise"]
    explanation: "Clean first."
    source: "clinic-material: How Microdermabrasion Treatments Work in Practice"
    difficulty: medium
    tags: [steps]
  - id: demo-005
    type: matching
    prompt: "Match"
    pairs: {"Redness": "Hours to a day", "Flaking": "A few days"}
    explanation: "Short-lived."
    source: "clinic-material: Microdermabrasion Science & Safety"
    difficulty: hard
    tags: [aftercare]
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    lines = text.splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if fragment in line]
    return hits[occurrence - 1]


def only_problem(folder: Path):
    banks = load_banks(folder)
    assert len(banks.problems) == 1, [str(p) for p in banks.problems]
    return banks.problems[0]


def test_valid_bank_loads_every_type(tmp_path):
    write(tmp_path, "demo.yaml", VALID)
    banks = load_banks(tmp_path)
    assert banks.problems == []
    assert [m.id for m in banks.modules] == ["demo"]
    assert {q.type for q in banks.questions.values()} == set(QuestionType)
    assert banks.question("demo-002").answer == ("Gloves", "Mask")
    assert banks.question("demo-005").pairs == (("Redness", "Hours to a day"), ("Flaking", "A few days"))


@pytest.mark.parametrize(
    "old, new, fragment, message",
    [
        ("    explanation: \"Only", "    explaination: \"Only", "explaination:", "unknown key 'explaination'"),
        ("    answer: \"Stratum corneum\"", "    answer: \"Epidermis\"", "answer: \"Epidermis\"",
         "answer 'Epidermis' is not one of the options"),
        ("    type: ordering", "    type: sorting", "type: sorting", "unknown type 'sorting'"),
        ("  - id: demo-002", "  - id: demo-001", "id: demo-001", "duplicate question id 'demo-001'"),
        ("    options: [\"Stratum corneum\", \"Dermis\", \"Fat\"]", "    options: [\"Stratum corneum\"]",
         "options: [\"Stratum corneum\"]", "'options' needs at least 2 entries"),
        ("    prompt: \"Pick the PPE\"", "    prompt: \"  \"", "prompt: \"  \"", "'prompt' is empty"),
        ("  order: 1", "  order: first", "order: first", "'order' must be a whole number"),
        ("    answer: true", "    answer: \"yes\"", "answer: \"yes\"", "must be true or false"),
        ("    difficulty: hard", "    difficulty: tricky", "difficulty: tricky", "must be easy, medium or hard"),
        ("    prompt: \"Match\"", "    prompt: [\"Match\"]", "prompt: [\"Match\"]", "'prompt' must be text"),
        ("    answer: [\"Gloves\", \"Mask\"]", "    answer: [\"Gloves\", \"Boots\"]", "Boots",
         "answer 'Boots' is not one of the options"),
        ("    items: [\"Cleanse\", \"Treat\", \"Moisturise\"]", "    items: [\"Cleanse\", \"Cleanse\"]",
         "items: [\"Cleanse\", \"Cleanse\"]", "'items' has duplicates"),
        ("    answer: true\n", "    answer: true\n    options: [\"a\", \"b\"]\n", "options: [\"a\", \"b\"]",
         "'options' does not belong in a true_false question"),
        ("    pairs: {\"Redness\": \"Hours to a day\", \"Flaking\": \"A few days\"}",
         "    pairs: {\"Redness\": \"A few days\", \"Flaking\": \"A few days\"}", "pairs: {",
         "the right-hand sides of 'pairs' must all differ"),
        ("    pairs: {\"Redness\": \"Hours to a day\", \"Flaking\": \"A few days\"}",
         "    pairs: {\"Redness\": \"\", \"Flaking\": \"A few days\"}", "pairs: {",
         "every pair in 'pairs' must be non-empty text on both sides"),
        ("    pairs: {\"Redness\": \"Hours to a day\", \"Flaking\": \"A few days\"}", "    pairs: [\"Redness\"]",
         "pairs: [", "'pairs' must be a mapping, not a list"),
        ("    options: [\"Stratum corneum\", \"Dermis\", \"Fat\"]", "    options: [a, b, c, d, e, f, g]",
         "options: [a, b", "'options' allows at most 6 entries, has 7"),
        ("    options: [\"Gloves\", \"Mask\", \"Sandals\"]", "    options: [\"Gloves\", \"  \", \"Mask\"]",
         "options: [\"Gloves\", \"  \"", "'options' item 2 must be non-empty text"),
        ("  - id: demo-003", "  - id: Demo_003", "id: Demo_003", "'id' must be lowercase letters, digits and dashes"),
        ("  id: demo\n", "  id: Demo Module\n", "id: Demo Module", "module 'id' must be a lowercase slug"),
        ("  objectives: [\"Know the demo\"]", "  objectives: []", "objectives: []",
         "'objectives' needs at least 1 entry, has 0"),
        ("    partial_credit: true", "    partial_credit: \"yes\"", "partial_credit: \"yes\"",
         "'partial_credit' must be true or false"),
        ("  - id: demo-004", "  - Just a sentence\n  - id: demo-004", "Just a sentence",
         "each question must be a mapping of fields, not text"),
        ("    answer: [\"Gloves\", \"Mask\"]", "    answer:\n      - Gloves\n      - Boots", "- Boots",
         "answer 'Boots' is not one of the options"),
        ("module:\n", "modul:\n", "modul:", "unknown key 'modul' in the file (did you mean 'module'?)"),
    ],
)
def test_each_bad_field_is_reported_on_its_line(tmp_path, old, new, fragment, message):
    text = VALID.replace(old, new, 1)
    assert text != VALID
    write(tmp_path, "demo.yaml", text)
    problems = load_banks(tmp_path).problems
    matching = [p for p in problems if message in p.message]
    assert len(matching) == 1, [str(p) for p in problems]
    problem = matching[0]
    assert problem.file == "demo.yaml"
    assert problem.line == line_of(text, fragment, occurrence=2 if "duplicate question" in message else 1)


def test_missing_required_field_names_the_field_and_the_question_line(tmp_path):
    text = VALID.replace("    source: \"clinic-material: Microdermabrasion Science & Safety\"\n", "", 1)
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert problem.message == "missing required field 'source'"
    assert problem.line == line_of(text, "id: demo-001")


@pytest.mark.parametrize(
    "old, new, anchor, message",
    [
        ("    type: single\n", "", "id: demo-001", "missing required field 'type'"),
        ("    options: [\"Stratum corneum\", \"Dermis\", \"Fat\"]\n", "", "id: demo-001",
         "missing required field 'options' for a single question"),
        ("    items: [\"Cleanse\", \"Treat\", \"Moisturise\"]\n", "", "id: demo-004",
         "missing required field 'items' for an ordering question"),
        ("  lesson: |\n    ## After this module you can\n    - know the demo\n", "", "module:",
         "missing required field 'lesson'"),
    ],
)
def test_a_missing_field_is_reported_on_the_line_of_what_holds_it(tmp_path, old, new, anchor, message):
    text = VALID.replace(old, new, 1)
    assert text != VALID
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert (problem.line, problem.message) == (line_of(text, anchor), message)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    text = (VALID.replace("    explanation: \"Only", "    explaination: \"Only", 1)
            .replace("    difficulty: hard", "    difficulty: tricky", 1)
            .replace("  order: 1", "  order: first", 1))
    write(tmp_path, "demo.yaml", text)
    found = sorted((p.line, p.message) for p in load_banks(tmp_path).problems)
    assert found == sorted([
        (line_of(text, "explaination"), "unknown key 'explaination' in a question (did you mean 'explanation'?)"),
        (line_of(text, "id: demo-001"), "missing required field 'explanation'"),
        (line_of(text, "tricky"), "'difficulty' must be easy, medium or hard"),
        (line_of(text, "order: first"), "'order' must be a whole number"),
    ])


BAD_VALUES = ["", "  ", 3, 2.5, True, None, [], ["a", "a"], {}, {"a": 1}, [["x"]], "Not-A-Slug"]
JARGON = ("Input should", "type=", "pydantic", "Value error", "validation error", "[key]", "Field required", "dict")


@pytest.mark.parametrize("field", ["id", "type", "scenario", "prompt", "options", "answer", "explanation", "source",
                                   "difficulty", "tags", "partial_credit"])
def test_messages_are_plain_english_whatever_the_value(tmp_path, field):
    reported = 0
    for qtype_index in range(5):  # one question of each type
        for value in BAD_VALUES:
            data = yaml.safe_load(VALID)
            data["questions"][qtype_index][field] = value
            write(tmp_path, "demo.yaml", yaml.safe_dump(data, sort_keys=False))
            for problem in load_banks(tmp_path).problems:
                reported += 1
                assert not any(word in problem.message for word in JARGON), (field, value, str(problem))
                assert problem.file == "demo.yaml" and problem.line > 1
    assert reported >= len(BAD_VALUES)


def test_yaml_syntax_error_gives_the_line(tmp_path):
    text = VALID.replace("    prompt: \"Match\"", "    prompt: \"Match", 1)
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert problem.message.startswith("YAML syntax error")
    assert problem.line >= line_of(text, "prompt: \"Match")


def test_file_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    raw = VALID.replace("Demo module", "Démo").encode("latin-1")
    write(tmp_path, "demo.yaml", raw)
    problem = only_problem(tmp_path)
    assert "not UTF-8" in problem.message
    assert problem.line == line_of(VALID, "Demo module")


def test_aliases_are_refused(tmp_path):
    text = VALID.replace("    tags: [skin]", "    tags: &t [skin]", 1).replace("    tags: [ppe]", "    tags: *t", 1)
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert "aliases" in problem.message
    assert problem.line == line_of(text, "tags: *t")


def test_duplicate_mapping_key_is_refused(tmp_path):
    text = VALID.replace("    difficulty: easy\n    tags: [skin]",
                         "    difficulty: easy\n    difficulty: hard\n    tags: [skin]", 1)
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert problem.message == "duplicate key 'difficulty'"
    assert problem.line == line_of(text, "difficulty: hard")


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("modules.banks.MAX_BANK_BYTES", 1024)
    write(tmp_path, "demo.yaml", VALID)
    assert "larger than" in only_problem(tmp_path).message


def test_a_bad_bank_never_half_loads_and_the_others_keep_working(tmp_path):
    write(tmp_path, "a.yaml", VALID)
    broken = VALID.replace("id: demo\n", "id: other\n").replace("demo-00", "other-00").replace(
        "type: sorting", "").replace("    type: ordering", "    type: sorting")
    write(tmp_path, "b.yaml", broken)
    banks = load_banks(tmp_path)
    assert [m.id for m in banks.modules] == ["demo"]
    assert [p.file for p in banks.problems] == ["b.yaml"]
    assert not any(q.startswith("other-") for q in banks.questions)


def test_duplicate_question_id_across_files_rejects_the_later_file(tmp_path):
    write(tmp_path, "a.yaml", VALID)
    second = VALID.replace("id: demo\n", "id: second\n").replace("demo-005", "second-005")
    write(tmp_path, "b.yaml", second)
    banks = load_banks(tmp_path)
    assert [m.id for m in banks.modules] == ["demo"]
    messages = [str(p) for p in banks.problems]
    assert any("duplicate question id 'demo-001' (also in a.yaml)" in m for m in messages)
    assert f"b.yaml:{line_of(second, 'id: demo-001')}:" in messages[0]


def test_edits_are_picked_up_without_restart(tmp_path):
    path = write(tmp_path, "demo.yaml", VALID)
    assert load_banks(tmp_path).question("demo-001").prompt == "Which layer is removed?"
    path.write_text(VALID.replace("Which layer is removed?", "Which layer goes?"), encoding="utf-8")
    assert load_banks(tmp_path).question("demo-001").prompt == "Which layer goes?"


def test_content_hash_changes_with_text_but_not_with_tags(tmp_path):
    write(tmp_path, "demo.yaml", VALID)
    before = load_banks(tmp_path).question("demo-001").content_hash
    write(tmp_path, "demo.yaml", VALID.replace("tags: [skin]", "tags: [skin, layers]"))
    assert load_banks(tmp_path).question("demo-001").content_hash == before
    write(tmp_path, "demo.yaml", VALID.replace("Which layer is removed?", "Which layer goes?"))
    assert load_banks(tmp_path).question("demo-001").content_hash != before


def test_check_banks_command_prints_file_line_message_and_exits_1(tmp_path, capsys):
    text = VALID.replace("explanation: \"Only", "explaination: \"Only")
    write(tmp_path, "demo.yaml", text)
    assert main(["check-banks", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'demo.yaml'}:{line_of(text, 'explaination')}: unknown key 'explaination'" in out


def test_check_banks_command_summarises_valid_banks(tmp_path, capsys):
    write(tmp_path, "demo.yaml", VALID)
    assert main(["check-banks", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 modules, 5 questions" in out
    assert "easy 2, medium 2, hard 1" in out



# --- Records that cannot silently break (issue #13) ---

def nested(levels: int, opener: str, closer: str) -> str:
    return opener * levels + closer * levels


@pytest.mark.parametrize("value", [
    nested(40, "[", "]"), nested(40, "{a: ", "}"), "\n      " + "- " * 40 + "x",
])
def test_nesting_deeper_than_the_limit_is_refused_where_it_crosses_it(tmp_path, value):
    text = VALID.replace("    tags: [aftercare]", f"    tags: {value}", 1)
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert problem.message == "nesting deeper than 32 levels"
    # The file, the module section, the questions list, one question and its tags are the first four levels.
    assert problem.line == line_of(text, value.strip()[:10])


def test_deep_block_indentation_is_refused_on_the_line_that_crosses_the_limit(tmp_path):
    text = "".join("  " * level + f"k{level}:\n" for level in range(40)) + "  " * 40 + "leaf\n"
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert (problem.line, problem.message) == (33, "nesting deeper than 32 levels")


def test_brackets_in_quoted_text_and_lessons_are_not_nesting(tmp_path):
    brackets = nested(200, "[", "]")
    text = (VALID.replace("    prompt: \"Pick the PPE\"", f"    prompt: \"Pick the PPE {brackets}\"", 1)
            .replace("    - know the demo\n", f"    - know the demo {brackets} {nested(50, '{', '}')}\n", 1))
    write(tmp_path, "demo.yaml", text)
    assert load_banks(tmp_path).problems == []


def test_thirty_two_levels_are_still_read(tmp_path):
    write(tmp_path, "demo.yaml", "k: " + nested(31, "[", "]") + "\n")
    assert not any("nesting" in p.message for p in load_banks(tmp_path).problems)


def test_the_policy_file_is_guarded_against_deep_nesting_too():
    from modules.policy import parse_policy

    policy, problems = parse_policy(POLICY_FILE, ("quiz:\n  questions: " + nested(40, "[", "]") + "\n").encode())
    assert policy is None
    assert [str(p) for p in problems] == [f"{POLICY_FILE}:2: nesting deeper than 32 levels"]


@pytest.mark.parametrize("value, reading", [
    ("!!int abc", "abc"), ("2024-13-45", "2024-13-45"), ("!!bool maybe", "maybe"), ("!!float x", "x"),
    ("!!int 0x", "0x"), ("!!timestamp 2024-02-30T00:00:00", "2024-02-30"), ("!!timestamp soon", "soon"),
])
def test_a_value_yaml_cannot_read_is_a_problem_on_its_line_not_a_crash(tmp_path, value, reading):
    text = VALID.replace("  order: 1", f"  order: {value}", 1)
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert problem.line == line_of(text, "order:")
    assert reading in problem.message and "cannot read" in problem.message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "~\n", "NULL\n", "--- null\n"])
def test_a_file_with_nothing_in_it_is_a_problem_not_silently_left_out(tmp_path, text):
    write(tmp_path, "demo.yaml", text)
    assert (only_problem(tmp_path).line, only_problem(tmp_path).message) == (1, "file is empty")


def test_a_repeated_key_beside_a_list_key_is_a_problem_not_a_crash(tmp_path):
    write(tmp_path, "demo.yaml", "{[x]: 1, a: 1, a: 2}\n")
    assert only_problem(tmp_path).line == 1


LIVE = Path(__file__).resolve().parents[2] / "question_banks"


def test_the_size_cap_refuses_megabytes_but_leaves_live_banks_ample_room(tmp_path):
    from modules.bank_yaml import MAX_BANK_BYTES

    largest = max(p.stat().st_size for p in LIVE.glob("*.yaml"))
    assert 10 * largest <= MAX_BANK_BYTES <= 1024 * 1024
    write(tmp_path, "demo.yaml", VALID + ("# padding\n" * 150_000))
    problem = only_problem(tmp_path)
    assert (problem.line, problem.message) == (1, "file is larger than 1 MB; split it")


def test_an_overlong_lesson_is_refused_on_its_line(tmp_path):
    from modules.bank_models import MAX_LESSON_CHARS

    text = VALID.replace("    - know the demo\n", "    - know the demo\n" + "    Words and more words.\n" * 3000, 1)
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert problem.line == line_of(text, "lesson:")
    length = len(yaml.safe_load(text)["module"]["lesson"])
    assert problem.message == f"'lesson' allows at most {MAX_LESSON_CHARS:,} characters, has {length:,}"


SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><path id="a" d="M0 0h5"/></defs>' \
      '<use href="#a"/><rect fill="url(#a)" width="5" height="5"/>{extra}</svg>'


def with_diagram(folder: Path, svg: str = SVG.format(extra=""), name: str = "x.svg") -> str:
    (folder / "diagrams").mkdir(exist_ok=True)
    if svg:
        write(folder / "diagrams", name, svg)
    text = VALID.replace("    - know the demo\n", "    - know the demo\n\n    ![A diagram](diagrams/x.svg)\n", 1)
    write(folder, "demo.yaml", text)
    return text


def test_a_lesson_with_a_safe_diagram_loads(tmp_path):
    with_diagram(tmp_path)
    assert load_banks(tmp_path).problems == []


@pytest.mark.parametrize("extra, found", [
    ('<image href="https://evil.example/pixel.png"/>', "https://evil.example/pixel.png"),
    ('<image xlink:href="//evil.example/p.png"/>', "//evil.example/p.png"),
    ("<script>fetch('/x')</script>", "<script"),
    ("<foreignObject><div/></foreignObject>", "<foreignObject"),
    ('<rect style="fill: url(http://evil.example/a)"/>', "url(http://evil.example/a)"),
    ('<rect onload="alert(1)"/>', "onload="),
    ("<style>@import 'http://evil.example/a.css';</style>", "@import"),
])
def test_a_diagram_that_reaches_outside_or_runs_code_is_refused(tmp_path, extra, found):
    text = with_diagram(tmp_path, SVG.format(extra=extra))
    problem = only_problem(tmp_path)
    assert problem.line == line_of(text, "diagrams/x.svg")
    assert problem.message.startswith("diagram diagrams/x.svg ") and found in problem.message


def test_a_diagram_that_is_a_link_is_refused_and_never_read(tmp_path):
    secret = write(tmp_path, "secret.txt", "root:x:0:0")
    text = with_diagram(tmp_path, svg="")
    (tmp_path / "diagrams" / "x.svg").symlink_to(secret)
    problem = only_problem(tmp_path)
    assert problem.line == line_of(text, "diagrams/x.svg")
    assert "is a link" in problem.message and "root:x" not in problem.message


def test_a_diagrams_folder_that_is_a_link_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write(elsewhere, "x.svg", SVG.format(extra=""))
    banks = tmp_path / "banks"
    banks.mkdir()
    (banks / "diagrams").symlink_to(elsewhere)
    with_diagram(banks, svg="")
    assert "not a file inside diagrams/" in only_problem(banks).message


@pytest.mark.parametrize("line", [
    "![pixel](https://evil.example/p.png)", "See ![pixel](//evil.example/p.png) here", "![x][ref]",
    '<img src="https://evil.example/p.png">', "![local](diagrams/x.png)",
])
def test_a_lesson_may_show_no_image_but_its_own_diagrams(tmp_path, line):
    text = VALID.replace("    - know the demo\n", f"    - know the demo\n\n    {line}\n", 1)
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert problem.line == line_of(text, line)
    assert problem.message == IMAGE_RULE


def test_question_text_may_show_no_image_at_all(tmp_path):
    text = VALID.replace("    prompt: \"Pick the PPE\"", "    prompt: \"Pick ![x](diagrams/x.svg)\"", 1)
    write(tmp_path, "demo.yaml", text)
    problem = only_problem(tmp_path)
    assert (problem.line, problem.message) == (line_of(text, "prompt: \"Pick !["), IMAGE_RULE)


def test_the_live_diagrams_are_safe():
    from modules.banks import diagram_problem

    svgs = sorted((LIVE / "diagrams").glob("*.svg"))
    assert svgs
    assert [diagram_problem(LIVE, f"diagrams/{p.name}") for p in svgs] == [None] * len(svgs)


def test_what_the_lesson_page_shows_is_safe_even_if_a_bank_was_not_checked(tmp_path):
    from modules.banks import lesson_parts

    with_diagram(tmp_path, SVG.format(extra="<script>x()</script>"))
    text = "Intro ![p](https://evil.example/p.png) <img src=x>\n![A diagram](diagrams/x.svg)\n![B](diagrams/ok.svg)"
    write(tmp_path / "diagrams", "ok.svg", SVG.format(extra=""))
    parts = lesson_parts(tmp_path, text)
    assert [kind for kind, _, _ in parts] == ["markdown", "not shown", "diagram"]
    shown = parts[0][1]
    assert "https://evil.example" not in shown and "<img" not in shown
    assert parts[2][1].startswith("<svg")

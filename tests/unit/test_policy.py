"""The certification policy file: defaults from PRODUCT.md, and file:line problems like the banks."""

import json

import pytest
import yaml
from pydantic import ValidationError

from modules.__main__ import main
from modules.banks import load_banks
from modules.policy import SECTIONS, Policy, load_policy, parse_policy
from tests.helpers import FIXTURE_BANKS

POLICY_TEXT = (FIXTURE_BANKS / "certification.yaml").read_text(encoding="utf-8")


def test_a_missing_policy_file_means_the_defaults(tmp_path):
    assert load_policy(tmp_path) == (Policy(), [])


def test_a_bad_value_is_reported_with_its_line_and_the_defaults_stay_in_force(tmp_path):
    text = POLICY_TEXT.replace("pass_mark_percent: 85", "pass_mark_percent: 185")
    (tmp_path / "certification.yaml").write_text(text, encoding="utf-8")
    policy, problems = load_policy(tmp_path)
    assert policy == Policy()
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "185" in row)
    assert [(p.line, p.message) for p in problems] == [(line, "'pass_mark_percent' must be between 1 and 100")]


def test_unknown_keys_in_the_policy_are_refused(tmp_path):
    text = POLICY_TEXT.replace("  validity_months: 12", "  validity_month: 12")
    (tmp_path / "certification.yaml").write_text(text, encoding="utf-8")
    messages = [p.message for p in load_policy(tmp_path)[1]]
    assert "unknown key 'validity_month' in section 'certificate' (did you mean 'validity_months'?)" in messages
    assert "missing 'validity_months' in section 'certificate'" in messages


def test_check_banks_reports_policy_problems_too(tmp_path, capsys):
    for bank in FIXTURE_BANKS.glob("0*.yaml"):
        (tmp_path / bank.name).write_bytes(bank.read_bytes())
    (tmp_path / "certification.yaml").write_text(POLICY_TEXT.replace("questions: 10", "questions: ten"), "utf-8")
    assert load_banks(tmp_path).problems == []
    assert main(["check-banks", str(tmp_path)]) == 1
    assert "certification.yaml:" in capsys.readouterr().out


@pytest.mark.parametrize("old, new, fragment, message", [
    ("questions: 10", "questions: ten", "questions: ten", "'questions' must be a whole number"),
    ("questions: 10", "questions: true", "questions: true", "'questions' must be a whole number"),
    ("attempts_per_day: 3", "attempts_per_day: 0", "attempts_per_day: 0", "'attempts_per_day' must be at least 1"),
    ("grace_seconds: 30", "grace_seconds: -1", "grace_seconds: -1", "'grace_seconds' must be at least 0"),
    ("pass_mark_percent: 80", "pass_mark_percent: 0", "pass_mark_percent: 0",
     "'pass_mark_percent' must be between 1 and 100"),
    ('  title: "Microdermabrasion Technician Certificate"', '  title: " "', 'title: " "', "'title' is empty"),
    ('    - "Gloves, eye protection and mask worn"', '    - ""', '    - ""',
     "'checklist' item 3 must be non-empty text"),
    ("exam:\n", "exams:\n", "exams:", "unknown key 'exams' in the policy (did you mean 'exam'?)"),
    ("certificate:\n", "certificate: none yet\nold_certificate:\n", "certificate: none",
     "'certificate' must be a mapping, not text"),
])
def test_each_bad_policy_value_is_reported_on_its_line(old, new, fragment, message):
    text = POLICY_TEXT.replace(old, new, 1)
    assert text != POLICY_TEXT
    policy, problems = parse_policy("certification.yaml", text.encode())
    assert policy is None
    matching = [p for p in problems if p.message == message]
    assert len(matching) == 1, [str(p) for p in problems]
    assert matching[0].line == next(i for i, row in enumerate(text.splitlines(), start=1) if fragment in row)


def test_a_missing_section_and_a_file_that_is_not_a_mapping():
    text = POLICY_TEXT.split("practical:")[0]
    problems = parse_policy("certification.yaml", text.encode())[1]
    assert [p.message for p in problems] == ["missing section 'practical'"]
    assert [p.message for p in parse_policy("certification.yaml", b"- 1\n")[1]] == [
        "the policy must be a mapping of sections, not a list"]


def test_each_setting_is_declared_once_and_the_file_schema_follows_from_it():
    """Every Policy field has its place in the file; a file written from the defaults reads back as the defaults."""
    placed = [name for keys in SECTIONS.values() for name in keys.values()]
    assert sorted(placed) == sorted(Policy.model_fields)
    defaults = Policy(checklist=("Check the client",))
    document = {section: {key: getattr(defaults, name) for key, name in keys.items()}
                for section, keys in SECTIONS.items()}
    raw = yaml.safe_dump(json.loads(json.dumps(document))).encode()
    assert parse_policy("certification.yaml", raw) == (defaults, [])


def test_the_policy_is_a_frozen_value():
    policy = Policy(quiz_attempts_per_day=1)
    with pytest.raises(ValidationError):
        policy.quiz_attempts_per_day = 2  # type: ignore[misc]
    assert policy == Policy(quiz_attempts_per_day=1) and hash(policy) == hash(Policy(quiz_attempts_per_day=1))


def copy_fixture_banks(tmp_path, policy_text: str):
    for source in FIXTURE_BANKS.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "certification.yaml").write_text(policy_text, encoding="utf-8")
    return tmp_path


def test_a_blueprint_the_exam_pool_cannot_fill_is_refused_naming_the_module(tmp_path, capsys):
    folder = copy_fixture_banks(tmp_path, POLICY_TEXT.replace("    mechanics: 2", "    mechanics: 4"))
    _, problems = load_policy(folder, load_banks(folder))
    line = POLICY_TEXT.splitlines().index("    mechanics: 2") + 1
    assert [(p.line, p.message) for p in problems] == [
        (line, "the exam blueprint asks 4 questions of module 'mechanics', but its exam pool has 3")]
    assert main(["check-banks", str(folder)]) == 1
    assert "mechanics" in capsys.readouterr().out


def test_a_blueprint_must_name_every_module_and_only_real_ones(tmp_path):
    folder = copy_fixture_banks(tmp_path, POLICY_TEXT.replace("    safety: 2", "    safty: 2"))
    messages = [p.message for p in load_policy(folder, load_banks(folder))[1]]
    assert "the exam blueprint names module 'safty', which is not among the valid banks" in messages
    assert "module 'safety' is missing from the exam blueprint (give it a number of questions)" in messages


def test_a_quiz_larger_than_a_practice_pool_is_refused(tmp_path):
    folder = copy_fixture_banks(tmp_path, POLICY_TEXT.replace("questions: 10", "questions: 13"))
    messages = [p.message for p in load_policy(folder, load_banks(folder))[1]]
    assert messages == [f"module '{m}' has 12 practice questions, fewer than the module quiz size 13"
                        for m in ("skin-science", "mechanics", "safety")]


def test_check_banks_prints_the_lint_pools_and_reliability_figures(capsys):
    assert main(["check-banks", str(FIXTURE_BANKS)]) == 0
    out = capsys.readouterr().out
    assert "lint warning(s) (they do not fail the check)" in out
    assert "  safety         exam       3 questions; guesser 67%" in out
    assert "Module quiz: 10 questions, pass mark 80% (8 right); a technician at 70% mastery passes 38.3%" in out


def test_a_clinics_file_written_before_later_settings_existed_still_loads_with_their_defaults(tmp_path):
    """An upgrade must not turn a clinic's working policy into a rejected one: settings added since (review cap,
    item analysis minimum, team's behind rule, reminder windows) may be missing and take their defaults."""
    data = yaml.safe_load(POLICY_TEXT)
    for section in ("review", "item_analysis", "team"):
        data.pop(section, None)
    data["certificate"].pop("reminder_days", None)
    (tmp_path / "certification.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    policy, problems = load_policy(tmp_path)
    assert problems == []
    assert (policy.review_daily_cap, policy.item_analysis_min_responses, policy.behind_after_days,
            policy.reminder_days) == (30, 30, 14, (30, 60, 90))
    assert policy.quiz_questions == data["module_quiz"]["questions"]  # the rest still read from the file


def test_a_later_setting_given_a_wrong_value_is_still_refused(tmp_path):
    text = POLICY_TEXT.rstrip("\n") + "\nreview:\n  daily_cap: 0\n"
    (tmp_path / "certification.yaml").write_text(text, encoding="utf-8")
    policy, problems = load_policy(tmp_path)
    assert policy == Policy() and [p.message for p in problems] == ["'daily_cap' must be at least 1"]

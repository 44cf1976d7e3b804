"""The certification policy file: defaults from PRODUCT.md, and file:line problems like the banks."""

from pathlib import Path

from modules import settings
from modules.__main__ import main
from modules.banks import load_banks
from modules.policy import Policy, load_policy

SHIPPED = (Path(settings.get("TRAINING_BANKS_DIR")) / "certification.yaml").read_text(encoding="utf-8")


def test_the_shipped_policy_matches_the_product_defaults():
    policy, problems = load_policy(settings.get("TRAINING_BANKS_DIR"))
    assert problems == []
    assert (policy.quiz_questions, policy.quiz_pass_percent, policy.quiz_attempts_per_day) == (10, 80, 3)
    assert (policy.exam_pass_percent, policy.validity_months) == (85, 12)
    assert len(policy.checklist) >= 3


def test_a_missing_policy_file_means_the_defaults(tmp_path):
    assert load_policy(tmp_path) == (Policy(), [])


def test_a_bad_value_is_reported_with_its_line_and_the_defaults_stay_in_force(tmp_path):
    text = SHIPPED.replace("pass_mark_percent: 85", "pass_mark_percent: 185")
    (tmp_path / "certification.yaml").write_text(text, encoding="utf-8")
    policy, problems = load_policy(tmp_path)
    assert policy == Policy()
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "185" in row)
    assert [(p.line, p.message) for p in problems] == [(line, "'pass_mark_percent' must be between 1 and 100")]


def test_unknown_keys_in_the_policy_are_refused(tmp_path):
    text = SHIPPED.replace("  validity_months: 12", "  validity_month: 12")
    (tmp_path / "certification.yaml").write_text(text, encoding="utf-8")
    messages = [p.message for p in load_policy(tmp_path)[1]]
    assert "unknown key 'validity_month' in section 'certificate' (did you mean 'validity_months'?)" in messages
    assert "missing 'validity_months' in section 'certificate'" in messages


def test_check_banks_reports_policy_problems_too(tmp_path, capsys):
    for bank in Path(settings.get("TRAINING_BANKS_DIR")).glob("0*.yaml"):
        (tmp_path / bank.name).write_bytes(bank.read_bytes())
    (tmp_path / "certification.yaml").write_text(SHIPPED.replace("questions: 10", "questions: ten"), "utf-8")
    assert load_banks(tmp_path).problems == []
    assert main(["check-banks", str(tmp_path)]) == 1
    assert "certification.yaml:" in capsys.readouterr().out

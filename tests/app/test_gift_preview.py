"""Bank health's GIFT preview: a trainer uploads a Moodle GIFT file and sees the questions it would give, the
skipped ones with their reasons and the YAML, and nothing is written to the banks."""

from __future__ import annotations

from modules.banks import check_module_file
from tests.app.conftest import ROOT, open_app, texts
from tests.helpers import FIXTURE_BANKS

MOODLE = ROOT / "tests" / "data" / "moodle_gift"


def bank_files() -> dict[str, bytes]:
    return {str(p.relative_to(FIXTURE_BANKS)): p.read_bytes() for p in sorted(FIXTURE_BANKS.rglob("*")) if p.is_file()}


def upload(at, name: str, data: bytes):
    at.file_uploader[0].set_value((name, data, "text/plain"))
    return at.run()


def frame_with(at, column: str):
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_a_trainer_previews_moodles_fixture_and_nothing_is_written(users):
    before = bank_files()
    at = open_app(users["trainer"], "bank_health.py")
    assert not at.exception
    assert "Import from Moodle (GIFT): preview" in texts(at)
    upload(at, "questions.gift.txt", (MOODLE / "questions.gift.txt").read_bytes())
    assert not at.exception
    assert at.text_input[0].value == "questions"  # the module id suggested from the file name
    assert "4 question(s) would be imported; 5 skipped." in texts(at)
    questions = frame_with(at, "Key")
    assert list(questions["Id"]) == ["questions-001", "colours", "questions-002", "questions-003"]
    assert list(questions["Key"]) == ["yellow", "yellow; off-beige", "true", "true"]
    notes = frame_with(at, "Why")
    reasons = dict(zip(notes["Line"], notes["Why"]))
    assert reasons[2].startswith("'Q8': essay") and reasons[34].startswith("'Shortanswer': short answer")
    assert reasons[5] == "'Moodle activities': the extra answer 'Chat' has no item to pair with; our matching has " \
                         "no distractors"
    (code,) = at.get("code")
    assert check_module_file("questions.yaml", code.value.encode())[1] == []
    assert [b.proto.label for b in at.get("download_button")] == ["Download the YAML"]
    assert bank_files() == before


def test_the_module_id_can_be_changed_and_a_bad_one_is_one_sentence(users):
    at = open_app(users["trainer"], "bank_health.py")
    upload(at, "questions.gift.txt", (MOODLE / "questions.gift.txt").read_bytes())
    at.text_input[0].input("hand-care").run()
    assert list(frame_with(at, "Key")["Id"])[0] == "hand-care-001"
    at.text_input[0].input("Hand Care!").run()
    assert not at.exception
    assert any("module id 'Hand Care!' must be lowercase letters" in e.value for e in at.error)


def test_a_malformed_file_shows_its_lines_as_plain_text_and_no_traceback(users):
    at = open_app(users["trainer"], "bank_health.py")
    upload(at, "bad.gift", b"::q-1::fine{T}\n\n::q-2::Match{\n=a -> 1\n=[see](http://x.example) **now**\n}\n")
    assert not at.exception
    assert any("is not a GIFT file Moodle would read: 1 problem(s); nothing was imported" in e.value for e in at.error)
    (problem,) = [m.value for m in at.markdown if "has no" in m.value]
    # The file's text is escaped, so it shows as typed: no link, no bold.
    assert problem == ("- bad\\.gift:5: matching answer '\\[see\\](http\\://x\\.example) \\*\\*now\\*\\*' has no "
                       "'-\\>'")
    assert not at.get("code") and not at.get("download_button")


def test_a_file_with_nothing_to_import_says_why_and_offers_no_download(users):
    at = open_app(users["trainer"], "bank_health.py")
    upload(at, "essays.gift", b"::e-1::Describe your day.{}\n")
    assert not at.exception
    assert "0 question(s) would be imported; 1 skipped." in texts(at)
    assert any("would not pass the bank check" in e.value for e in at.error)
    assert "'questions' needs at least 1 entry, has 0" in texts(at)
    assert not at.get("download_button")


def test_a_technician_never_sees_the_preview(users):
    at = open_app(users["technician"], "bank_health.py")
    assert "Import from Moodle (GIFT): preview" not in texts(at)
    assert not at.file_uploader

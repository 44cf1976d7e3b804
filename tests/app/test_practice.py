"""Learn and Practice pages: a technician reads a lesson and practises a round from start to summary."""

import shutil
from datetime import UTC, datetime

from modules.banks import load_banks
from modules.core.records import Actor
from modules.core.types import AttemptKind
from tests.app.conftest import open_app, texts
from tests.helpers import FIXTURE_BANKS, answer_on_screen, behind_the_store


def test_home_lists_every_module_in_order(users):
    at = open_app(users["technician"])
    assert not at.exception
    subheaders = [s.value for s in at.subheader]
    assert subheaders[0].startswith("1. ") and len(subheaders) == len(load_banks(FIXTURE_BANKS).modules)


def test_learn_shows_the_lesson_with_its_diagram(users):
    at = open_app(users["technician"], "learn.py")
    assert not at.exception
    # Lesson headings are headers with anchors, so a lesson link can open the lesson at its section.
    assert "After this module you can" in [h.value for h in at.header]
    (diagram,) = [h for h in at.get("html") if "<img" in h.proto.body]
    # The diagram keeps its text alternative (WCAG image-alt): read by screen readers, shown as its caption.
    assert 'alt="' in diagram.proto.body and 'alt=""' not in diagram.proto.body


def test_a_practice_round_from_start_to_summary_is_recorded(users, app_store):
    technician = users["technician"]
    bank_set = load_banks(FIXTURE_BANKS)
    at = open_app(technician, "practice.py")
    at.number_input[0].set_value(3)
    next(b for b in at.button if b.label == "Start practice").click().run()
    for _ in range(3):
        question = answer_on_screen(at, bank_set)
        next(b for b in at.button if b.label == "Check answer").click().run()
        assert not at.exception
        assert "Correct." in [s.value for s in at.success]
        assert question.explanation in texts(at)
        next(b for b in at.button if b.label in ("Next question", "See summary")).click().run()
    assert "Round complete" in texts(at)
    assert "Everything right" in texts(at)
    attempts = app_store.attempts.for_user(Actor(technician.id, technician.role), technician.id, AttemptKind.PRACTICE)
    assert len(attempts) == 1
    assert len(app_store.attempts.responses(Actor(technician.id, technician.role), attempts[0].id)) == 3


def test_a_wrong_practice_answer_shows_the_key_and_comes_back_for_review(users, app_store):
    technician = users["technician"]
    bank_set = load_banks(FIXTURE_BANKS)
    at = open_app(technician, "practice.py")
    at.number_input[0].set_value(5)
    next(b for b in at.button if b.label == "Start practice").click().run()
    for _ in range(5):
        answer_on_screen(at, bank_set, right=False)
        next(b for b in at.button if b.label == "Check answer").click().run()
        assert not at.exception
        assert "Not quite" in texts(at) or "Partly right" in texts(at)
        next(b for b in at.button if b.label in ("Next question", "See summary")).click().run()
    assert "Worth revisiting" in texts(at)
    assert len(app_store.review_cards.current(technician.id)) == 5


def test_reading_a_lesson_is_recorded_once_however_often_the_page_reruns(users, app_store):
    from sqlalchemy import func, select

    from modules.store.schema import lesson_reads

    technician = users["technician"]
    at = open_app(technician, "learn.py")
    at.run()
    at.run()
    assert "skin-science" in app_store.lessons.read_by(technician.id)
    with behind_the_store(app_store.url) as conn:
        assert conn.execute(select(func.count()).select_from(lesson_reads)).scalar() == 1


def test_my_progress_counts_the_practice_answers_per_module(users, app_store):
    from modules.progress import progress_for

    technician = users["technician"]
    bank_set = load_banks(FIXTURE_BANKS)
    at = open_app(technician, "practice.py")
    at.number_input[0].set_value(2)
    next(b for b in at.button if b.label == "Start practice").click().run()
    for _ in range(2):
        answer_on_screen(at, bank_set)
        next(b for b in at.button if b.label == "Check answer").click().run()
        next(b for b in at.button if b.label in ("Next question", "See summary")).click().run()
    progress = progress_for(app_store, technician, bank_set, datetime.now(UTC))
    counts = {m.module_id: m.practice_answered for m in progress.modules}
    assert counts[bank_set.modules[0].id] == 2
    assert sum(counts.values()) == 2


def test_an_edited_bank_or_policy_shows_on_the_next_run(users, tmp_path, monkeypatch):
    """Banks and policy are kept between runs while their files are unchanged: an edit must still show at once."""
    folder = tmp_path / "banks"
    shutil.copytree(FIXTURE_BANKS, folder)
    monkeypatch.setenv("TRAINING_BANKS_DIR", str(folder))
    at = open_app(users["technician"], "practice.py")
    assert at.selectbox[0].options[0] == "1. Skin science (fixture)"
    skin = folder / "01-skin-science.yaml"
    skin.write_text(skin.read_text(encoding="utf-8").replace("Skin science (fixture)", "Skin basics"),
                    encoding="utf-8")
    at.run()
    assert at.selectbox[0].options[0] == "1. Skin basics"

    health = open_app(users["trainer"], "bank_health.py")
    decisions = [e.value for e in [*health.warning, *health.success]]
    assert any(d.startswith("Module quiz: 10 questions, pass mark 80%") for d in decisions)
    policy = folder / "certification.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("pass_mark_percent: 80", "pass_mark_percent: 90"),
                      encoding="utf-8")  # the same size: the change is in the file's time
    health.run()
    decisions = [e.value for e in [*health.warning, *health.success]]
    assert any(d.startswith("Module quiz: 10 questions, pass mark 90%") for d in decisions)

"""Feedback a technician reads after checking an answer: every option marked in words, what they picked, the
client case, a link to the lesson section instead of a source tag; ordering's repeated step; the practice summary."""

from modules.banks import load_banks
from modules.grading import show
from tests.app.conftest import open_app, texts
from tests.helpers import FIXTURE_BANKS, answer_on_screen

BANKS = load_banks(FIXTURE_BANKS)
LESSON_LINK = "(learn?module=skin-science#skin-science-fixture)"


def practising(user, *question_ids: str):
    """The Practice page on a round of exactly these questions, in this order (options as the bank lists them)."""
    at = open_app(user, "practice.py")
    questions = [BANKS.question(q) for q in question_ids]
    at.session_state["practice"] = {"module_id": "skin-science", "round": [show(q) for q in questions], "index": 0,
                                    "scores": {}, "answers": {}, "attempt_id": None, "seed": 1}
    return at.run()


def check(at):
    return next(b for b in at.button if b.label == "Check answer").click().run()


def markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def test_a_wrong_pick_is_stated_and_every_option_is_marked_in_words_in_the_order_shown(users):
    at = practising(users["technician"], "skin-001")
    at.radio[0].set_value("Wrong two").run()
    check(at)
    assert not at.exception
    assert "Your answer: Wrong two" in markdown(at)
    marks = next(m for m in markdown(at) if m.startswith("- Right one"))
    assert marks.splitlines() == [
        "- Right one — :green[**Correct answer · you did not pick it**]",
        "- Wrong one",
        "- Wrong two — :red[**Your answer: not correct**]",
        "- Wrong three",
    ]


def test_feedback_links_to_the_lesson_section_instead_of_the_source_tag(users):
    at = practising(users["technician"], "skin-001")
    at.radio[0].set_value("Right one").run()
    check(at)
    assert any(LESSON_LINK in m and "Skin science (fixture)" in m for m in markdown(at))
    assert "fixture: made up for the tests" not in texts(at)
    assert "- Right one — :green[**Correct answer · your answer**]" in "\n".join(markdown(at))


def test_a_trainer_practising_still_sees_the_raw_source_tag(users):
    at = practising(users["trainer"], "skin-001")
    at.radio[0].set_value("Right one").run()
    check(at)
    assert "Source: fixture: made up for the tests" in [c.value for c in at.caption]
    assert any(LESSON_LINK in m for m in markdown(at))


def test_matching_feedback_lists_each_pair_with_the_match_given(users):
    at = practising(users["technician"], "skin-008")
    wanted = {"Term A": "Meaning B", "Term B": "Meaning A", "Term C": "Meaning C"}
    for box in at.selectbox:
        box.set_value(wanted[box.label])
    at.run()
    check(at)
    lines = "\n".join(markdown(at))
    assert "- Term A → Meaning A — :red[**your match: “Meaning B”, not correct**]" in lines
    assert "- Term C → Meaning C — :green[**your match too: correct**]" in lines


def test_the_client_case_is_shown_with_the_feedback_and_in_the_summary(users):
    at = practising(users["technician"], "skin-007")
    case = "**Client case:** A client asks about the outer layer."
    at.radio[0].set_value("A guess").run()
    check(at)
    assert case in [i.value for i in at.info]
    next(b for b in at.button if b.label == "See summary").click().run()
    assert "Worth revisiting" in texts(at)
    assert case in [i.value for i in at.info]
    assert "**skin: what do you tell the client?**" in markdown(at)
    assert any(LESSON_LINK in m for m in markdown(at))
    assert "fixture: made up for the tests" not in texts(at)


def test_choosing_the_same_step_twice_says_which_step_and_where(users):
    at = practising(users["technician"], "skin-002")
    for box, item in zip(at.selectbox, ["Second", "First", "Second", "Fourth"]):
        box.set_value(item)
    at.run()
    assert "“Second” is chosen for steps 1 and 3" in " ".join(w.value for w in at.warning)
    assert next(b for b in at.button if b.label == "Check answer").disabled
    at.selectbox[2].set_value("Third").run()
    assert not at.warning
    assert not next(b for b in at.button if b.label == "Check answer").disabled


def test_the_practice_summary_shows_plain_figures_and_compares_only_with_the_last_round(users):
    at = practising(users["technician"], "skin-001", "skin-004", "skin-005")
    for right in (True, True, False):
        answer_on_screen(at, BANKS, right=right)
        check(at)
        next(b for b in at.button if b.label in ("Next question", "See summary")).click().run()
    assert at.metric[0].value == "2 of 3 (67%)"
    assert at.metric[0].proto.delta == ""  # a first round has nothing to be better or worse than

    next(b for b in at.button if b.label == "New round").click().run()
    at.session_state["practice"] = {"module_id": "skin-science", "round": [show(BANKS.question("skin-001"))],
                                    "index": 0, "scores": {}, "answers": {}, "attempt_id": None, "seed": 2}
    at.run()
    answer_on_screen(at, BANKS, right=False)
    check(at)
    next(b for b in at.button if b.label == "See summary").click().run()
    assert at.metric[0].value == "0 of 1 (0%)"
    assert at.metric[0].proto.delta == "-67 points on your last round of this module"


def test_a_lesson_link_opens_its_module_with_the_section_anchored(users):
    at = open_app(users["technician"])
    at.query_params["module"] = "mechanics"
    at.switch_page("modules/pages/learn.py").run()
    assert not at.exception
    assert at.title[0].value == "Mechanics (fixture)"
    anchors = {h.value: h.proto.anchor for h in at.header}
    assert anchors["Mechanics (fixture)"] == "mechanics-fixture"
    # The link chose the module once; the select box is the reader's again afterwards.
    at.selectbox[0].set_value("skin-science").run()
    assert at.title[0].value == "Skin science (fixture)"

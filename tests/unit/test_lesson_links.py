"""Lesson links: feedback points to the lesson section that teaches the question's point, not to a source tag."""

from modules.banks import load_banks
from modules.lesson_links import anchor, best_section, lesson_link, lesson_sections
from tests.helpers import FIXTURE_BANKS

LESSON = """## After this module you can

- Name the layers and explain the barrier

## The layers of the epidermis

The stratum corneum is the outermost layer; the stratum basale is the deepest.

### The stratum corneum, cell turnover and the skin barrier

The body replaces the stratum corneum about every four weeks: cell turnover.

## Broken capillaries and rosacea

Suction over visible capillaries can make them worse; keep the vacuum low over rosacea.

## Recap

Layers, turnover, barrier, capillaries, rosacea.
"""


def test_sections_have_stable_anchors_from_their_headings():
    sections = lesson_sections(LESSON)
    assert [(s.level, s.anchor) for s in sections] == [
        (2, "after-this-module-you-can"), (2, "the-layers-of-the-epidermis"),
        (3, "the-stratum-corneum-cell-turnover-and-the-skin-barrier"), (2, "broken-capillaries-and-rosacea"),
        (2, "recap")]
    assert anchor('"How often should I come?"') == "how-often-should-i-come"


def test_the_section_is_the_one_sharing_the_questions_words_tags_first():
    rosacea = best_section(LESSON, ["rosacea", "telangiectasia"], "A client with rosacea asks about suction.")
    assert rosacea is not None and rosacea.anchor == "broken-capillaries-and-rosacea"
    turnover = best_section(LESSON, ["cell-turnover"], "How often is the outer layer replaced?")
    assert turnover is not None and turnover.title.startswith("The stratum corneum, cell turnover")


def test_no_clear_match_falls_back_to_the_whole_lesson():
    assert best_section(LESSON, ["sharps"], "Where does a used cartridge go?") is None
    link = lesson_link(load_banks(FIXTURE_BANKS), "mechanics", "no-such-question", "nothing in common")
    assert link is not None and link.section is None
    assert link.url == "learn?module=mechanics"
    assert link.label == "the lesson: Mechanics (fixture)"


def test_a_question_links_to_its_modules_learn_page_at_the_section():
    link = lesson_link(load_banks(FIXTURE_BANKS), "skin-science", "skin-001", "which option is right?")
    assert link is not None
    assert link.url == "learn?module=skin-science#skin-science-fixture"
    assert lesson_link(load_banks(FIXTURE_BANKS), "gone-module", "skin-001", "") is None

"""Where a question's point is taught: the lesson section it links to, instead of a bare source tag.

A lesson is Markdown whose `##` and `###` headings split it into sections. Each heading gets a stable anchor, the
Learn page gives its heading that anchor, and feedback links to `learn?module=ID#ANCHOR`. The section is chosen by
the words a question shares with it (its tags weigh most), rarer words counting more; with no clear match the link
goes to the top of the module's lesson.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from modules.banks import BankSet, Module

HEADING = re.compile(r"^(?P<marks>#{2,3})\s+(?P<title>.+?)\s*#*\s*$")
# Sections that sum up the whole lesson teach no point of their own.
_SUMMARY_TITLES = ("after this module you can", "recap")
_WORD = re.compile(r"[a-z][a-z0-9]+")
_STEM_LENGTH = 6  # "layers"/"layer", "treated"/"treatment": a crude stem that keeps English plurals together
_STOP_WORDS = (
    "about above after again also because before being between both came come does doing down during each from "
    "have having here into just like made make many more most much must never only other over same should some "
    "such than that their them then there these they this those through under until very what when where which "
    "while will with would your yours client clients question answer right wrong true false"
)
_STOP = frozenset(_STOP_WORDS.split(" "))
_TAG_WEIGHT = 3.0
_TITLE_WEIGHT = 2.0
_MIN_SCORE = 2.0  # below this, no section is a clear match


@dataclass(frozen=True)
class LessonSection:
    title: str
    anchor: str
    level: int  # 2 for "##", 3 for "###"
    body: str


@dataclass(frozen=True)
class LessonLink:
    """A link to the Learn page: the module's lesson, at a section when one matches."""

    module_id: str
    module_title: str
    section: LessonSection | None

    @property
    def url(self) -> str:
        """Relative, so it works behind a proxy's path prefix; the Learn page reads `module`, the browser the #."""
        address = f"learn?module={quote(self.module_id)}"
        return address + (f"#{self.section.anchor}" if self.section else "")

    @property
    def label(self) -> str:
        if self.section is None:
            return f"the lesson: {self.module_title}"
        return f"{self.section.title} (lesson: {self.module_title})"


def anchor(title: str) -> str:
    """A heading's anchor: lower-case words joined by hyphens ("Thin skin: eyes" -> "thin-skin-eyes")."""
    return "-".join(re.findall(r"[a-z0-9]+", title.lower())) or "section"


def heading(line: str) -> tuple[int, str] | None:
    """(level, title) when the line is a `##` or `###` heading, else None."""
    match = HEADING.match(line.strip())
    return (len(match["marks"]), match["title"]) if match else None


def lesson_sections(lesson: str) -> list[LessonSection]:
    """The lesson's sections in order, each with the text up to the next heading."""
    sections: list[LessonSection] = []
    current: tuple[int, str] | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            sections.append(LessonSection(current[1], anchor(current[1]), current[0], "\n".join(body).strip()))

    for line in lesson.splitlines():
        found = heading(line)
        if found is None:
            body.append(line)
            continue
        close()
        current, body = found, []
    close()
    return sections


def _stems(text: str) -> set[str]:
    return {word[:_STEM_LENGTH] for word in _WORD.findall(text.lower()) if len(word) > 3 and word not in _STOP}


@lru_cache(maxsize=32)
def _indexed(lesson: str) -> tuple[list[LessonSection], list[set[str]], list[set[str]]]:
    """A lesson's sections (summaries left out) with the stems of each title and of each whole section: the same for
    every question of the module, so made once per lesson text, not on every feedback of every rerun."""
    sections = [s for s in lesson_sections(lesson) if s.title.lower().rstrip(":") not in _SUMMARY_TITLES]
    title_stems = [_stems(s.title) for s in sections]
    return sections, title_stems, [title | _stems(s.body) for s, title in zip(sections, title_stems)]


def best_section(lesson: str, tags: Iterable[str], text: str) -> LessonSection | None:
    """The section that teaches what the tags and text (prompt, case, explanation) are about, or None."""
    sections, title_stems, all_stems = _indexed(lesson)
    if not sections:
        return None
    weights: dict[str, float] = {}
    for stem in _stems(text):
        weights[stem] = 1.0
    for stem in _stems(" ".join(tag.replace("-", " ") for tag in tags)):
        weights[stem] = _TAG_WEIGHT
    count = len(sections)

    def score(index: int) -> float:
        total = 0.0
        for stem, weight in weights.items():
            if stem in all_stems[index]:
                rarity = math.log((count + 1) / sum(1 for stems in all_stems if stem in stems))
                total += weight * rarity * (_TITLE_WEIGHT if stem in title_stems[index] else 1.0)
        return total

    scores = [score(i) for i in range(count)]
    best = max(range(count), key=lambda i: (scores[i], -i))  # a tie goes to the earlier section
    return sections[best] if scores[best] >= _MIN_SCORE else None


def lesson_link(bank_set: BankSet, module_id: str, question_id: str, text: str) -> LessonLink | None:
    """The link for a question of `module_id`; its tags come from the bank when it is still there. None when the
    module is no longer in the banks."""
    module: Module | None = bank_set.module(module_id)
    if module is None:
        return None
    question = bank_set.question(question_id)
    tags = question.tags if question is not None else ()
    return LessonLink(module.id, module.title, best_section(module.lesson, tags, text))

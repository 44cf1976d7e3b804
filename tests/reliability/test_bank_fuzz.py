"""Hostile bank files: whatever a file holds, the checker answers with problems (FILE:LINE), never a crash or a
hang. Hypothesis writes the files; the one that once took the server down (issue #13) runs in a child process, so
a segfault shows as an exit code instead of killing the test run."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modules.bank_yaml import Problem
from modules.banks import check_module_file
from modules.policy import parse_policy

ROOT = Path(__file__).resolve().parents[2]
VALID = (ROOT / "tests" / "data" / "banks" / "01-skin-science.yaml").read_text(encoding="utf-8")
FIELDS = ["id", "type", "scenario", "prompt", "options", "answer", "items", "pairs", "partial_credit", "explanation",
          "source", "difficulty", "tags", "pool", "bogus"]
SECONDS = 2.0

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=50),
                    st.sampled_from(["", " ", "single", "yes", "~", "2024-13-45", "1e999", ".nan", "-", "?"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                                             inner, max_size=4),
                      max_leaves=12)


@st.composite
def deep(draw: st.DrawFn) -> str:
    opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("- ", ""), ("? ", ""), ("[{b: ", "}]")]))
    levels = draw(st.integers(min_value=20, max_value=30_000) | st.integers(min_value=30_000, max_value=150_000))
    return "module:\n  id: x\nquestions: " + opener * levels + "x" + closer * draw(st.integers(0, levels))


@st.composite
def wrong_types(draw: st.DrawFn) -> str:
    data = yaml.safe_load(VALID)
    question = data["questions"][draw(st.integers(0, len(data["questions"]) - 1))]
    for _ in range(draw(st.integers(1, 3))):
        question[draw(st.sampled_from(FIELDS))] = draw(values)
    if draw(st.booleans()):
        data["module"][draw(st.sampled_from(["id", "title", "order", "objectives", "lesson"]))] = draw(values)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=draw(st.booleans()))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The valid fixture with a few slices swapped for junk: tabs, NULs, odd unicode, tags, anchors, brackets."""
    text = VALID
    junk = st.sampled_from(["\t", "\x00", "\ufeff", "\u2028", "\U0001f600", "&a ", "*a", "!!int ", "!!bool ",
                            "!!timestamp ", "!!binary ", "!!python/object ", "[", "]", "{", "}", ": ", "- ", "? ",
                            "'", '"', "|", ">", "#", "%YAML 1.1\n", "---\n", "\n", "  "]) | st.text(max_size=5)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 20))
        text = text[:at] + draw(junk) + text[at + cut:]
    return text


@st.composite
def tagged(draw: st.DrawFn) -> str:
    """A value of the fixture given a tag whose constructor cannot read it (int of text, a 13th month)."""
    lines = VALID.splitlines()
    at = draw(st.sampled_from([i for i, line in enumerate(lines) if ": " in line]))
    key, value = lines[at].split(": ", 1)
    tag = draw(st.sampled_from(["!!int", "!!float", "!!bool", "!!timestamp", "!!binary", "!!null", "!!str", "!!set",
                                "!!omap", "!!map", "!!seq", "!int", "!<tag:x>", ""]))
    lines[at] = f"{key}: {tag} {draw(st.sampled_from([value, '0x', '2024-13-45', '2024-02-30T25:00:00', 'maybe']))}"
    return "\n".join(lines)


huge = st.builds(lambda key, size, char: f"module:\n  {key}: " + char * size + "\n",
                 st.sampled_from(["lesson", "title", "id"]), st.integers(10_000, 400_000),
                 st.sampled_from(["x", "[", "é", "\t", " "]))
aliases = st.builds(lambda n: "a: &a [x, x]\n" + "".join(f"a{i}: &a{i} [*a, *a]\n" for i in range(n)) + "questions: *a",
                    st.integers(0, 30))
hostile = st.one_of(
    st.binary(max_size=2_000),
    st.text(max_size=2_000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    deep().map(str.encode), wrong_types().map(str.encode), mutated().map(lambda t: t.encode("utf-8", "surrogatepass")),
    tagged().map(str.encode), huge.map(str.encode), aliases.map(str.encode),
)


def assert_problems(name: str, result: object, problems: list[Problem]) -> None:
    assert (result is None) == bool(problems), problems
    for problem in problems:
        assert isinstance(problem, Problem) and problem.file == name and problem.line >= 1 and problem.message


@settings(max_examples=150, deadline=SECONDS * 1000, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_any_bank_file_gives_problems_never_a_crash(raw):
    started = time.perf_counter()
    module, problems = check_module_file("hostile.yaml", raw)
    assert_problems("hostile.yaml", module, problems)
    policy, policy_problems = parse_policy("certification.yaml", raw)
    assert_problems("certification.yaml", policy, policy_problems)
    assert time.perf_counter() - started < SECONDS


def test_the_thirty_thousand_bracket_bank_is_a_problem_not_a_segfault(tmp_path):
    bank = tmp_path / "bad.yaml"
    bank.write_bytes(b"questions: " + b"[" * 30_000 + b"]" * 30_000 + b"\n")
    child = subprocess.run([sys.executable, "-m", "modules", "check-banks", str(tmp_path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120, check=False)
    assert child.returncode == 1, (child.returncode, child.stderr[-2000:])
    assert f"{bank}:1: nesting deeper than 32 levels" in child.stdout

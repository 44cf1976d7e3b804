"""Bank loading speed: a generated 5,000-question bank, validated, as a ratio to bare yaml.load (C safe loader).

Prints figures; it asserts nothing. Run with `make bench` or `.venv/bin/python bench/bench_banks.py`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modules import banks as bank_module

QUESTION_COUNT = 5000


def generated_bank(count: int) -> str:
    lines = ["module:", "  id: generated", '  title: "Generated"', "  order: 1", '  objectives: ["Load fast"]',
             "  lesson: |", "    ## After this module you can", "    - load fast", "questions:"]
    for i in range(count):
        lines += [
            f"  - id: gen-{i:05d}",
            "    type: single",
            f'    scenario: "A client on visit {i} mentions a cold sore starting on her lip."',
            f'    prompt: "Question number {i}: which layer does the treatment polish away?"',
            '    options: ["Stratum corneum", "Stratum basale", "Papillary dermis", "Subcutaneous fat"]',
            '    answer: "Stratum corneum"',
            '    explanation: "Only the outermost dead layer is polished; deeper layers are left alone."',
            '    source: "clinic-material: Microdermabrasion Science & Safety"',
            "    difficulty: easy",
            "    tags: [skin, layers]",
        ]
    return "\n".join(lines) + "\n"


def best_of(runs: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_text(generated_bank(QUESTION_COUNT), encoding="utf-8")
        raw_text = path.read_text(encoding="utf-8")

        bare = best_of(3, lambda: yaml.load(raw_text, Loader=yaml.CSafeLoader))

        def cold() -> None:
            bank_module._parse_cache.clear()
            bank_module._set_cache.clear()
            bank_module._content_keys.clear()
            loaded = bank_module.load_banks(folder)
            assert not loaded.problems and len(loaded.questions) == QUESTION_COUNT

        cold_time = best_of(3, cold)
        bank_module.load_banks(folder)
        warm_time = best_of(5, lambda: bank_module.load_banks(folder))

    print(f"bank of {QUESTION_COUNT} questions ({len(raw_text.encode()) // 1024} KiB)")
    print(f"  bare yaml.load CSafeLoader : {bare * 1000:8.1f} ms")
    print(f"  load_banks, cold           : {cold_time * 1000:8.1f} ms  ratio {cold_time / bare:.2f}x (goal < 1.3x)")
    print(f"  load_banks, unchanged file : {warm_time * 1000:8.1f} ms  (goal < 100 ms)")


if __name__ == "__main__":
    main()

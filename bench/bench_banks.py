"""Bank loading speed: 5,000 generated questions, validated, as a ratio to bare yaml.load (C safe loader).

A bank file is capped at 1 MB (modules/bank_yaml.py), so the questions come as five module files of 1,000 each
(about 500 KiB a file); the bare baseline loads the same five texts.

Prints figures (also recorded in bench/results.json); it asserts nothing. Run with `make bench` or
`.venv/bin/python bench/bench_banks.py`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from results import Figure, record

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modules import banks as bank_module

QUESTION_COUNT = 5000
FILES = 5  # 1,000 questions a file: each well under the 1 MB cap on a bank file


def generated_bank(count: int, module_no: int = 1) -> str:
    lines = ["module:", f"  id: generated-{module_no}", f'  title: "Generated {module_no}"', f"  order: {module_no}",
             '  objectives: ["Load fast"]', "  lesson: |", "    ## After this module you can", "    - load fast",
             "questions:"]
    for i in range((module_no - 1) * count, module_no * count):
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
        texts = []
        for module_no in range(1, FILES + 1):
            path = Path(folder) / f"{module_no:02d}-generated.yaml"
            path.write_text(generated_bank(QUESTION_COUNT // FILES, module_no), encoding="utf-8")
            texts.append(path.read_text(encoding="utf-8"))

        bare = best_of(3, lambda: [yaml.load(text, Loader=yaml.CSafeLoader) for text in texts])

        def cold() -> None:
            bank_module._parse_cache.clear()
            bank_module._set_cache.clear()
            bank_module._content_keys.clear()
            loaded = bank_module.load_banks(folder)
            if loaded.problems or len(loaded.questions) != QUESTION_COUNT:
                raise SystemExit(f"the generated bank did not load: {loaded.problems[:3]}")

        cold_time = best_of(3, cold)
        bank_module.load_banks(folder)
        warm_time = best_of(5, lambda: bank_module.load_banks(folder))

    size = sum(len(text.encode()) for text in texts) // 1024
    print(f"bank of {QUESTION_COUNT} questions in {FILES} files ({size} KiB)")
    print(f"  bare yaml.load CSafeLoader : {bare * 1000:8.1f} ms")
    print(f"  load_banks, cold           : {cold_time * 1000:8.1f} ms  ratio {cold_time / bare:.2f}x (goal < 1.3x)")
    print(f"  load_banks, unchanged files: {warm_time * 1000:8.2f} ms  (goal < 100 ms)")
    record("bench_banks", [
        Figure(f"bare yaml.load CSafeLoader, {QUESTION_COUNT} questions", bare * 1000, "ms"),
        Figure(f"load_banks cold, {QUESTION_COUNT} questions", cold_time * 1000, "ms", "< 1.3x bare yaml.load",
               cold_time / bare),
        Figure(f"load_banks unchanged files, {QUESTION_COUNT} questions", warm_time * 1000, "ms", "< 100 ms",
               warm_time / bare),
    ])


if __name__ == "__main__":
    main()

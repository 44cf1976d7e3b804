"""Every bench records its figures in one git-ignored file, bench/results.json, replacing only its own entries so
that one script can run alone:

    {"figures": [{"name": "...", "value": 0.42, "unit": "s", "goal": "<= 1 s", "ratio": 0.8, "script": "..."}]}

`ratio` is the ratio to the bare baseline measured in the same run, where there is one; otherwise None (null).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"
UNITS = {"s", "ms", "B", "MB", "x", "per_s"}


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    goal: str | None = None
    ratio: float | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unit {self.unit!r} is not one of {sorted(UNITS)}")


def record(script: str, figures: list[Figure], path: Path = RESULTS) -> None:
    """Replace `script`'s entries in results.json with `figures` (written atomically; other scripts' are kept)."""
    try:
        kept = [f for f in json.loads(path.read_text(encoding="utf-8")).get("figures", [])
                if f.get("script") != script]
    except (OSError, ValueError):
        kept = []
    entries = kept + [{**asdict(f), "value": round(float(f.value), 6),
                       "ratio": None if f.ratio is None else round(float(f.ratio), 4), "script": script}
                      for f in figures]
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump({"figures": entries}, out, indent=2)
        out.write("\n")
    os.replace(temporary, path)

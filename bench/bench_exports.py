"""How long the manager waits for exports: a 50,000-row register as CSV and Excel, one certificate PDF
(goal < 100 ms) and a ZIP of 500 certificates. Prints figures; asserts nothing.

Run: .venv/bin/python bench/bench_exports.py
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modules.certificates import (
    CODE_ALPHABET,
    certificate_filename,
    certificate_pdf,
    certificates_zip,
    new_certificate_code,
    verify_url,
)
from modules.core.records import Certificate
from modules.core.types import CertificateId, UserId
from modules.exports import to_csv_bytes, to_xlsx_bytes

ROWS = 50_000
CERTIFICATES = 500
PDF_GOAL_SECONDS = 0.100


def register(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(2026)
    issued = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365 * 24, rows), unit="h")
    names = np.array(["Anna Smith", "Zoë Łukasz", "Mohammed Al-Farsi", "=HYPERLINK(\"http://x\",\"y\")", "Li Wei"])
    return pd.DataFrame(
        {
            "name": [f"{names[i % len(names)]} {i}" for i in range(rows)],
            "username": [f"tech{i:05d}" for i in range(rows)],
            "location": rng.choice(["Leeds", "London", "Manchester", "Bristol"], rows),
            "role": "technician",
            "code": codes(rng, rows),
            "issued": issued,
            "expires": issued + pd.Timedelta(days=365),
            "status": rng.choice(["certified", "expiring", "expired", "revoked", "not certified"], rows),
            "score": rng.uniform(0.85, 1.0, rows).round(3),
        }
    )


def codes(rng: np.random.Generator, rows: int) -> list[str]:
    """Code-shaped values, made in bulk (secrets is slow on purpose and not what is measured here)."""
    symbols = np.array(list(CODE_ALPHABET))[rng.integers(0, len(CODE_ALPHABET), (rows, 16))]
    return ["-".join(("".join(r[0:4]), "".join(r[4:8]), "".join(r[8:12]), "".join(r[12:16]))) for r in symbols]


def timed(action):
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def bare_openpyxl(frame: pd.DataFrame) -> bytes:
    """The floor: openpyxl's own write-only speed with no neutralising, widths or time-zone work."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Register")
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        sheet.append([v.to_pydatetime().replace(tzinfo=None) if isinstance(v, pd.Timestamp) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> None:
    frame, build = timed(lambda: register(ROWS))
    print(f"built a {ROWS:,}-row register in {build:.2f} s")

    csv_bytes, csv_s = timed(lambda: to_csv_bytes(frame, timezone_name="Europe/London"))
    print(f"CSV   {ROWS:,} rows: {csv_s:6.2f} s  ({ROWS / csv_s:9,.0f} rows/s, {len(csv_bytes) / 1e6:.1f} MB)")
    xlsx_bytes, xlsx_s = timed(lambda: to_xlsx_bytes(frame, timezone_name="Europe/London"))
    print(f"Excel {ROWS:,} rows: {xlsx_s:6.2f} s  ({ROWS / xlsx_s:9,.0f} rows/s, {len(xlsx_bytes) / 1e6:.1f} MB)")
    print(f"  Excel / CSV time: {xlsx_s / csv_s:.1f}x")

    sample = frame.head(2_000)
    _, ours = timed(lambda: to_xlsx_bytes(sample, timezone_name="Europe/London"))
    _, floor = timed(lambda: bare_openpyxl(sample))
    print(f"  2,000 rows: ours {ours:.2f} s vs bare openpyxl write-only {floor:.2f} s "
          f"(overhead {ours / floor:.2f}x)")

    issued = pd.Timestamp("2025-11-23 10:00", tz="UTC").to_pydatetime()
    views = [
        Certificate(CertificateId(i), new_certificate_code(), UserId(i), None, "Microdermabrasion Technician",
                    issued, issued + timedelta(days=365), 0.9, f"Zoë Łukasz 李 {i}")
        for i in range(CERTIFICATES)
    ]

    def render(v: Certificate) -> bytes:
        return certificate_pdf(v, "Glow Skin Clinic", verify_url("https://clinic.example", v.code), "Europe/London")

    render(views[0])  # first call loads fonts and imports
    singles = []
    for v in views[:30]:
        singles.append(timed(lambda v=v: render(v))[1])
    median = statistics.median(singles)
    print(f"one certificate PDF: median {median * 1000:.1f} ms, max {max(singles) * 1000:.1f} ms over 30 "
          f"(goal < {PDF_GOAL_SECONDS * 1000:.0f} ms: {PDF_GOAL_SECONDS / median:.1f}x under)")

    items, render_s = timed(lambda: [(certificate_filename(v), render(v)) for v in views])
    archive, zip_s = timed(lambda: certificates_zip(items))
    total = render_s + zip_s
    print(f"ZIP of {CERTIFICATES} certificates: render {render_s:.2f} s + zip {zip_s:.2f} s = {total:.2f} s "
          f"({total / CERTIFICATES * 1000:.1f} ms each, {len(archive) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()

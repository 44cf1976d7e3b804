"""How long the manager waits for exports of a table: a 50,000-row frame as CSV (from the frame, and streamed
from plain rows) and as Excel, one certificate PDF and a ZIP of 500 certificates.

Each figure is the fastest of three runs (the PDFs: the median of 30), printed with its ratio to a bare baseline
measured in the same run on the same data where there is one (pandas' own to_csv, csv.writer, XlsxWriter with
nothing cleaned). Figures go to bench/results.json (bench/results.py); nothing is asserted.

Run: .venv/bin/python bench/bench_exports.py
"""

from __future__ import annotations

import csv
import io
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from results import Figure, record

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
from modules.exports import csv_chunks, to_csv_bytes, to_xlsx_bytes

ROWS = 50_000
CERTIFICATES = 500
REPEATS = 3
ZONE = "Europe/London"


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


def timed(action, runs: int = REPEATS):
    """The result and the fastest of `runs` runs."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return result, best


def plain_rows(frame: pd.DataFrame) -> list[tuple]:
    """The frame as rows of plain Python values (aware datetimes, floats, text), as a store read gives them."""
    columns = [frame[c].dt.to_pydatetime() if isinstance(frame[c].dtype, pd.DatetimeTZDtype) else frame[c].tolist()
               for c in frame.columns]
    return list(zip(*columns))


def bare_csv(header: list[str], rows: list[tuple]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def bare_xlsx(header: list[str], rows: list[tuple]) -> bytes:
    """XlsxWriter in constant_memory mode given the cells, typed but not cleaned, no widths, no frozen header."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    sheet = workbook.add_worksheet("Register")
    moment = workbook.add_format({"num_format": "yyyy-mm-dd h:mm:ss"})
    sheet.write_row(0, 0, header)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(number, column, value)
            elif isinstance(value, float):
                sheet.write_number(number, column, value)
            else:
                sheet.write_datetime(number, column, value.replace(tzinfo=None), moment)
    workbook.close()
    return buffer.getvalue()


def main() -> None:
    frame, build = timed(lambda: register(ROWS), runs=1)
    print(f"built a {ROWS:,}-row register in {build:.2f} s")
    header, rows = [str(c) for c in frame.columns], plain_rows(frame)
    figures = [Figure("build_frame", build, "s")]

    csv_bytes, csv_s = timed(lambda: to_csv_bytes(frame, timezone_name=ZONE))
    _, pandas_s = timed(lambda: frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig"))
    print(f"CSV from the frame   {ROWS:,} rows: {csv_s:6.2f} s ({ROWS / csv_s:9,.0f} rows/s, "
          f"{len(csv_bytes) / 1e6:.1f} MB); {csv_s / pandas_s:.2f}x pandas' to_csv")
    streamed, streamed_s = timed(lambda: b"".join(csv_chunks(header, rows, ZONE)))
    _, bare_csv_s = timed(lambda: bare_csv(header, rows))
    print(f"CSV streamed         {ROWS:,} rows: {streamed_s:6.2f} s ({ROWS / streamed_s:9,.0f} rows/s, "
          f"{len(streamed) / 1e6:.1f} MB); {streamed_s / bare_csv_s:.2f}x bare csv.writer")
    xlsx_bytes, xlsx_s = timed(lambda: to_xlsx_bytes(frame, timezone_name=ZONE))
    _, bare_xlsx_s = timed(lambda: bare_xlsx(header, rows))
    print(f"Excel from the frame {ROWS:,} rows: {xlsx_s:6.2f} s ({ROWS / xlsx_s:9,.0f} rows/s, "
          f"{len(xlsx_bytes) / 1e6:.1f} MB); {xlsx_s / bare_xlsx_s:.2f}x bare XlsxWriter")
    figures += [Figure("csv_from_frame_50k", csv_s, "s", None, csv_s / pandas_s),
                Figure("csv_from_frame_rows_per_s", ROWS / csv_s, "per_s"),
                Figure("csv_streamed_50k", streamed_s, "s", None, streamed_s / bare_csv_s),
                Figure("csv_streamed_rows_per_s", ROWS / streamed_s, "per_s"),
                Figure("xlsx_from_frame_50k", xlsx_s, "s", None, xlsx_s / bare_xlsx_s),
                Figure("xlsx_rows_per_s", ROWS / xlsx_s, "per_s"),
                Figure("csv_size", len(csv_bytes) / 1e6, "MB"), Figure("xlsx_size", len(xlsx_bytes) / 1e6, "MB")]

    issued = pd.Timestamp("2025-11-23 10:00", tz="UTC").to_pydatetime()
    views = [
        Certificate(CertificateId(i), new_certificate_code(), UserId(i), None, "Microdermabrasion Technician",
                    issued, issued + timedelta(days=365), 0.9, f"Zoë Łukasz 李 {i}")
        for i in range(CERTIFICATES)
    ]

    def render(v: Certificate) -> bytes:
        return certificate_pdf(v, "Glow Skin Clinic", verify_url("https://clinic.example", v.code), ZONE)

    render(views[0])  # first call loads fonts and imports, and fits the clinic's lines
    singles = [timed(lambda v=v: render(v), runs=1)[1] for v in views[:30]]
    median = statistics.median(singles)
    print(f"one certificate PDF: median {median * 1000:.1f} ms, max {max(singles) * 1000:.1f} ms over 30 "
          f"(goal <= 10 ms)")

    items, render_s = timed(lambda: [(certificate_filename(v), render(v)) for v in views], runs=1)
    archive, zip_s = timed(lambda: certificates_zip(items), runs=1)
    total = render_s + zip_s
    print(f"ZIP of {CERTIFICATES} certificates: render {render_s:.2f} s + zip {zip_s:.2f} s = {total:.2f} s "
          f"({total / CERTIFICATES * 1000:.1f} ms each, {len(archive) / 1e6:.1f} MB)")
    figures += [Figure("certificate_pdf_median", median * 1000, "ms", "<= 10 ms"),
                Figure("certificate_pdf_max", max(singles) * 1000, "ms"),
                Figure("zip_render", render_s, "s"), Figure("zip_archive", zip_s, "s"),
                Figure("zip_per_certificate", total / CERTIFICATES * 1000, "ms", "<= 10 ms"),
                Figure("zip_size", len(archive) / 1e6, "MB")]
    record("bench_exports", figures)


if __name__ == "__main__":
    main()

"""Exports against the COPY floor: where an export's time goes, and how close it is to what
PostgreSQL and libpq alone need for the same rows.

On one campaign of the large account (loaded by bench_reports.py; `--load` loads a smaller set
of its own: the campaign plus a few rows for 999 other accounts, no rollups), in one sitting:

- floor, bare: `COPY (SELECT <the export's columns, unformatted>) TO STDOUT`, read and discarded
  by psycopg (a `copy.read()` loop) and by `psql -c "\\copy … to /dev/null"`;
- floor, formatted: the export's own formatted SELECT (this tree's, and the one before it,
  tests/messaging/reports/legacy_export_sql.py), one COPY over the whole campaign, the same two ways;
- the export task (`exports.run`) end to end, CSV and XLSX, with its time split by timers around
  the per-block steps: writing (SHA-256 + file), the sheet's XML, the zip (deflate + CRC); the
  rest is the COPY read loop (PostgreSQL, libpq, collecting rows);
- `--cells`: each cell's formatting alone, before and after (psql, one column);
- `--levels`: deflate of the same sheet XML at each zlib level (speed and size).

Run:  DATABASE_URL=… python bench/bench_exports_floor.py [--load] [--size 1000000] [--rounds 2]
      [--cells] [--levels]   (DATABASE_URL defaults to the bench_reports database)
"""

import argparse
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path
from unittest import mock

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_reports_bench")
os.environ.setdefault("DATA_DIR", "/tmp/portal-exports-bench")
os.makedirs(os.environ["DATA_DIR"], exist_ok=True)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import setup_django  # noqa: E402

BARE = (
    "index, channel, mobile, iso, operator, sender, product_code, template_id, status, status_code, units, "
    "charges, custom, submitted_at, delivered_at"
)


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def literal(sql, params):
    """The statement with its parameters merged, as psql needs it."""
    from django.db import connection
    from psycopg import ClientCursor

    with ClientCursor(connection.connection) as cursor:
        return cursor.mogrify(sql, params)


def read_discard(sql, params, options=""):
    """Seconds to read the COPY of `sql` (psycopg's `copy.read()`, one row per call) and drop
    every row, and the row count."""
    from django.db import connection

    start = time.perf_counter()
    rows = 0
    with connection.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT{options}", params) as copy:
        while copy.read():
            rows += 1
    return time.perf_counter() - start, rows


def psql_discard(sql, params, options=""):
    url = os.environ["DATABASE_URL"]
    command = f"\\copy ({literal(sql, params)}) TO '/dev/null'{options}"
    start = time.perf_counter()
    subprocess.run(["psql", "-X", "-q", url, "-c", command], check=True)
    return time.perf_counter() - start


class Timer:
    """Wraps a callable; adds up the seconds spent in it."""

    def __init__(self, fn):
        self.fn, self.seconds = fn, 0.0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def profiled_export(account, batch, fmt):
    """exports.run with timers around the per-block steps; returns (rows, seconds, parts)."""
    from messaging.reports import exports, xlsx_stream

    with mock.patch("messaging.reports.exports.transaction.on_commit"):
        job, _ = exports.request_export(account, query={"campaign": str(batch.uuid), "since": "2000-01-01"}, fmt=fmt)
    hashed, xml = Timer(exports._Hashing.write), Timer(xlsx_stream.rows_from_copy)
    sheet = Timer(xlsx_stream.SheetWriter.write)
    with (
        mock.patch.object(exports._Hashing, "write", lambda self, data: hashed(self, data)),
        mock.patch.object(xlsx_stream, "rows_from_copy", xml),
        mock.patch.object(xlsx_stream.SheetWriter, "write", lambda self, data: sheet(self, data)),
    ):
        start = time.perf_counter()
        rows = exports.run(job.pk)
        seconds = time.perf_counter() - start
    job.refresh_from_db()
    job.file.delete(save=False)
    if fmt == "xlsx":
        parts = {"sheet XML": xml.seconds, "zip (deflate, CRC) + SHA-256 + file": sheet.seconds}
        rest = seconds - xml.seconds - sheet.seconds
    else:
        parts = {"SHA-256 + file": hashed.seconds}
        rest = seconds - hashed.seconds
    parts["COPY read loop (PostgreSQL, libpq, collecting rows) and the plan"] = rest
    return rows, seconds, parts


def levels(account, batch):
    """Deflate the sheet XML of the first 200,000 rows at each zlib level."""
    from messaging.reports import delivery, export_sql
    from messaging.reports.forms import DeliveryFilterForm

    form = DeliveryFilterForm(account, {"campaign": str(batch.uuid), "since": "2000-01-01"})
    form.is_valid()
    messages = delivery.messages(account, form.filters()).filter(index__lte=200_000)
    written = []
    chunks = export_sql.chunks(
        messages, fmt="xlsx", zone_name="Asia/Kolkata", by_index=True, campaign=batch.uuid, size=50_000,
        write=written.append,
    )  # fmt: skip
    rows = sum(chunks)
    xml = b"".join(written)
    print(f"sheet XML of {rows:,} rows: {len(xml) / 1e6:.1f} MB")
    for level in (1, 2, 3, 6):
        start = time.perf_counter()
        packer = zlib.compressobj(level, zlib.DEFLATED, -15)
        size = sum(len(packer.compress(xml[i : i + (1 << 20)])) for i in range(0, len(xml), 1 << 20))
        size += len(packer.flush())
        seconds = time.perf_counter() - start
        print(f"  zlib level {level}: {rows / seconds:,.0f} rows/s, {size / 1e6:.1f} MB ({len(xml) / size:.1f}:1)")


def cells(batch):
    """Each cell's formatting alone, before and after, on the campaign: psql's `\\copy` of one
    column to /dev/null (the best of 3), against the bare index."""
    from django.db.models import F, TextField
    from django.db.models.expressions import RawSQL

    from messaging.pipeline.models import Message
    from messaging.reports import export_sql as new
    from tests.messaging.reports import legacy_export_sql as old

    zone = "Asia/Kolkata"
    variants = {
        "bare index": F("index"),
        "time, to_char": new.LocalTime(F("submitted_at"), zone),
        "time, date_trunc()::text": RawSQL(
            "date_trunc('second', submitted_at AT TIME ZONE %s)::text", [zone], TextField()
        ),
        "safe cell, left() IN (before)": old.SafeCell(F("mobile")),
        "safe cell, ascii() IN (this)": new.SafeCell(F("mobile")),
        "status meaning, CASE (before)": old.SafeCell(old.status_meaning()),
        "status meaning, jsonb (this)": new.StatusMeaning(),
        "public id, batch join (before)": old.PublicId(),
        "public id, constant (this)": new.PublicId(batch.uuid),
    }
    rows = Message.objects.filter(batch_id=batch.pk)
    for name, expression in variants.items():
        sql, params = rows.annotate(_x=expression).values_list("_x").query.sql_with_params()
        seconds = min(psql_discard(sql, params) for _ in range(3))
        print(f"  cell {name:32}: {seconds:5.2f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--load", action="store_true", help="load the campaign and a few other rows if absent")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--levels", action="store_true")
    parser.add_argument("--cells", action="store_true", help="time each cell's formatting alone")
    args = parser.parse_args()
    setup_django()
    import bench_reports
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Account
    from messaging.pipeline.models import Batch, Message
    from messaging.reports import delivery, export_sql
    from messaging.reports.forms import DeliveryFilterForm
    from tests.messaging.reports import legacy_export_sql

    if args.load:
        bench_reports.ensure_database()
        call_command("migrate", verbosity=0)
    if args.load and not Account.objects.filter(username="bench-0").exists():
        bench_reports.load(args.size + 999 * 100, campaign=args.size)
    account = Account.objects.get(username="bench-0")
    batch = Batch.objects.filter(account=account, total__gte=args.size).order_by("total", "id").first()
    form = DeliveryFilterForm(account, {"campaign": str(batch.uuid), "since": "2000-01-01"})
    form.is_valid()
    messages = delivery.messages(account, form.filters())
    zone_name = "Asia/Kolkata"
    print(uptime())
    print(f"campaign of {batch.total:,} messages; PostgreSQL {connection.cursor().connection.info.server_version}")
    bare = Message.objects.filter(batch_id=batch.pk).order_by("index").values_list(*BARE.split(", "))
    bare_sql, bare_params = bare.query.sql_with_params()
    this_sql, this_params = export_sql._select(
        messages, fmt="csv", zone_name=zone_name, by_index=True, campaign=batch.uuid, low=None, high=None, iso=True
    )
    old_sql, old_params = legacy_export_sql._select(messages, "csv", zone_name, True, None, None)
    statements = {"bare": (bare_sql, bare_params, ""), "formatted, this": (this_sql, this_params, " (FORMAT csv)")}
    statements["formatted, before (main)"] = (old_sql, old_params, " (FORMAT csv)")
    for _ in range(args.rounds):
        for name, (sql, params, options) in statements.items():
            seconds, rows = read_discard(sql, params, options)
            psql = psql_discard(sql, params, options)
            print(
                f"floor {name:24}: psycopg copy.read() {rows / seconds:9,.0f} rows/s ({seconds:5.1f} s), "
                f"psql \\copy to /dev/null {rows / psql:9,.0f} rows/s ({psql:5.1f} s)"
            )
        for fmt in ("csv", "xlsx"):
            rows, seconds, parts = profiled_export(account, batch, fmt)
            split = ", ".join(f"{name} {s:.1f} s ({100 * s / seconds:.0f} %)" for name, s in parts.items())
            print(f"export {fmt}: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s; {split}")
    if args.cells:
        cells(batch)
    if args.levels:
        levels(account, batch)
    print(uptime())


if __name__ == "__main__":
    main()

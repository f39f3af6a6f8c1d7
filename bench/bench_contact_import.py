"""Import contacts from a generated CSV through the import job (the code the page and the API run):
rows/s and the process's peak memory, for a fresh import and for a re-import that updates every
contact.

The file has mobile, e-mail, names, city, tags and a custom attribute per row, ~1 % invalid rows
and ~1 % in-file duplicates; the script checks the job's counts against what it generated.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal ../.venv/bin/python \\
          bench_contact_import.py [--rows 1000000] [--no-update]
"""

import argparse
import os
import random
import resource
import tempfile
import time

from _setup import scratch_database, setup_django

CITIES = ["Pune", "Mumbai", "Delhi", "Chennai", "Leeds", "Paris"]
TAGS = ["vip", "newsletter", "trial", "gold", "spring-fair"]


def make_csv(path, rows, rng, *, city_shift=0):
    """Write the file line by line (memory stays flat); returns (valid, invalid, duplicates)."""
    invalid = duplicates = 0
    last = None  # the number of the previous valid row, repeated for a duplicate
    with open(path, "w", encoding="utf-8") as out:
        out.write("mobile,email,first_name,last_name,city,tags,plan\n")
        for i in range(rows):
            roll = rng.random()
            if roll < 0.01:
                out.write(f"12{i},user{i}@example,Bad,Row,,,\n")
                invalid += 1
                last = None
                continue
            n = last if roll < 0.02 and last is not None else i
            duplicates += n != i
            last = n
            city = CITIES[(n + city_shift) % len(CITIES)]
            tags = "|".join(TAGS[(n + k) % len(TAGS)] for k in range(1 + n % 2))
            out.write(f"+9198{n:08d},user{n}@example.com,First{n},Last{n},{city},{tags},plan{n % 3}\n")
    return rows - invalid - duplicates, invalid, duplicates


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(account, path, label):
    from django.core.files import File

    from contacts.imports import services
    from contacts.imports.models import ContactImport

    with open(path, "rb") as handle:
        upload = File(handle, name=os.path.basename(path))
        upload.size = os.path.getsize(path)
        job = ContactImport(account=account, filename=upload.name, file_format="csv", size=upload.size)
        job.file.save(upload.name, upload, save=False)
    sample, count = services._inspect(job)
    job.sample, job.has_header, job.total = sample, True, count - 1
    job.headers = services.headers_of(job)
    job.mapping = services.suggested_mapping(job)
    job.save()
    services.start_import(job=job)  # outside a transaction the task would run at once (eager): run it by hand
    before = rss_mb()
    start = time.perf_counter()
    services.run_import(job.pk)
    elapsed = time.perf_counter() - start
    job.refresh_from_db()
    print(
        f"{label}: {job.total:,} rows in {elapsed:.2f} s = {job.total / elapsed:,.0f} rows/s; "
        f"added {job.added:,} updated {job.updated:,} skipped {job.skipped:,} invalid {job.invalid:,}; "
        f"peak RSS {rss_mb():.0f} MB (before the run {before:.0f} MB); status {job.status}"
    )
    return job


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-update", action="store_true", help="skip the re-import that updates every contact")
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.conf import settings

        from accounts.services.customers import create_customer

        settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-media-")
        settings.CELERY_TASK_ALWAYS_EAGER = False
        account, _ = create_customer(email="import-bench@example.com", password="x")
        rng = random.Random(7)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "contacts.csv")
            t0 = time.perf_counter()
            valid, invalid, duplicates = make_csv(path, args.rows, rng)
            size = os.path.getsize(path) / 1e6
            print(f"generated {args.rows:,} rows ({size:.1f} MB) in {time.perf_counter() - t0:.1f} s")
            job = run(account, path, "fresh import")
            assert (job.added, job.invalid, job.skipped) == (valid, invalid, duplicates), (valid, invalid, duplicates)
            if not args.no_update:
                make_csv(path, args.rows, random.Random(7), city_shift=1)
                job = run(account, path, "re-import (every contact's city changes)")
                assert job.added == 0 and job.updated == valid, job.updated
    finally:
        teardown()


if __name__ == "__main__":
    main()

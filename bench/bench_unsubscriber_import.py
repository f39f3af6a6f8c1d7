"""Import 100,000 unsubscribers from a CSV through the import job (the same code the API runs).

The file mixes valid numbers of several countries with ~2 % invalid lines and ~3 % duplicates;
the script checks the job's counts against what it generated.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal ../.venv/bin/python \\
          bench_unsubscriber_import.py [--rows 100000]
"""

import argparse
import random
import tempfile
import time

from _setup import scratch_database, setup_django

# (prefix, length) of ranges; a few are partly invalid on purpose, so the cached range verdict is
# checked against phonenumbers' exact answer for every generated line.
RANGES = [
    ("9198", 12),
    ("9170", 12),
    ("9189", 12),
    ("4478", 12),
    ("1415555", 11),
    ("12125", 11),
    ("3361", 11),
    ("55119", 13),
    ("4915", 13),
    ("336", 11),
]


def make_csv(rows, rng):
    numbers, lines = set(), ["receiver"]
    invalid = duplicates = 0
    while len(lines) - 1 < rows:
        roll = rng.random()
        if roll < 0.02:
            lines.append(rng.choice(["12", "hello", "+99 000", "0000000000000000000"]))
            invalid += 1
        elif roll < 0.05 and numbers:
            lines.append(rng.choice(tuple(numbers)[-50:]))
            duplicates += 1
        else:
            prefix, length = rng.choice(RANGES)
            number = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))
            if number in numbers:
                duplicates += 1
            numbers.add(number)
            lines.append(("+" if rng.random() < 0.3 else "") + number)
    return "\n".join(lines).encode(), invalid, duplicates


def exact_counts(content):
    """Ground truth with phonenumbers on every line (no cache): (valid distinct, invalid, duplicates)."""
    import phonenumbers

    seen, invalid, duplicates = set(), 0, 0
    for line in content.decode().splitlines()[1:]:
        digits = line.lstrip("+")
        try:
            ok = (
                digits.isdigit()
                and 8 <= len(digits) <= 15
                and phonenumbers.is_valid_number(phonenumbers.parse("+" + digits))
            )
        except phonenumbers.NumberParseException:
            ok = False
        if not ok:
            invalid += 1
        elif digits in seen:
            duplicates += 1
        else:
            seen.add(digits)
    return len(seen), invalid, duplicates


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.conf import settings

        settings.MEDIA_ROOT = tempfile.mkdtemp()
        from accounts.services.customers import create_customer
        from messaging.suppressions import importers
        from messaging.suppressions.models import ImportJob, ImportKind, Unsubscriber

        account, _ = create_customer(email="bench@example.com", password="x")
        content, _, _ = make_csv(args.rows, random.Random(11))
        valid, invalid, duplicates = exact_counts(content)
        job = importers.create_job(account=account, kind=ImportKind.UNSUBSCRIBERS, content=content, filename="b.csv")
        start = time.perf_counter()
        importers.run(job.pk)
        elapsed = time.perf_counter() - start
        job = ImportJob.objects.get(pk=job.pk)
        stored = Unsubscriber.objects.filter(account=account).count()
        print(f"database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} rows={job.total}")
        print(f"import {elapsed:.2f} s = {job.total / elapsed:,.0f} rows/s")
        print(f"job: added={job.added} duplicates={job.duplicates} invalid={job.invalid} (stored {stored})")
        print(
            f"exact phonenumbers check of every line: valid distinct={valid} invalid={invalid} duplicates={duplicates}"
        )
        assert job.status == "done" and job.added == stored
        assert (job.added, job.invalid, job.duplicates) == (valid, invalid, duplicates), "counts disagree"
        assert job.added + job.duplicates + job.invalid == job.total
        print("checks: OK")
    finally:
        teardown()


if __name__ == "__main__":
    main()

"""The import streams its file: memory stays flat whatever the number of rows."""

import tracemalloc

import pytest
from django.core.files import File

from contacts.imports import services
from contacts.imports.models import ImportStatus

pytestmark = pytest.mark.django_db


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8") as out:
        out.write("mobile,email,first_name,city,tags,plan\n")
        for i in range(rows):
            out.write(f"+9198{i:08d},user{i}@example.com,First{i},Pune,vip|gold,plan{i % 3}\n")


def peak_of_import(account, path, capture):
    with open(path, "rb") as handle:
        job = services.create_import(account=account, upload=File(handle, name=path.name))
    with capture(execute=False):
        services.start_import(job=job)
    tracemalloc.start()
    try:
        services.run_import(job.pk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    job.refresh_from_db()
    return job, peak


def test_a_100k_row_import_keeps_memory_flat(
    account, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # Chunks of 2,000 rows keep the test quick to trace; the bound scales with the chunk, not the file.
    monkeypatch.setattr(services, "CHUNK", 2000)
    settings.CONTACT_IMPORT_MAX_BYTES = 50 * 1024 * 1024
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_csv(small, 10_000)
    write_csv(big, 100_000)
    job, small_peak = peak_of_import(account, small, django_capture_on_commit_callbacks)
    assert (job.status, job.added) == (ImportStatus.DONE, 10_000)
    job, big_peak = peak_of_import(account, big, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE and (job.added, job.updated, job.skipped) == (90_000, 0, 10_000)
    figures = f"{small_peak / 1e6:.1f} MB for 10k rows, {big_peak / 1e6:.1f} MB for 100k"
    # The file is ~7 MB; its rows held as Python objects would take well over 100 MB.
    assert big_peak < 25 * 1024 * 1024, figures
    assert big_peak < small_peak * 1.5 + 2 * 1024 * 1024, figures

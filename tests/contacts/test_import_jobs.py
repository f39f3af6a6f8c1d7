"""Contact import jobs: CSV and XLSX, mapping, upsert counts, rejected rows, cancel, resume."""

import datetime

import pytest

from contacts.imports import services
from contacts.imports.models import ContactImport, ImportStatus
from contacts.models import Contact, Identifier, Tag
from tests.contacts.import_helpers import csv_upload, read_workbook, run_upload, xlsx_upload
from tests.factories import make_account

pytestmark = pytest.mark.django_db

CSV = (
    "Mobile,Email,First Name,Last name,Gender,Birthday,Tags,Membership\n"
    "+91 98765 43210,Asha@Example.com,Asha,Rao,female,1990-04-01,vip;gold,platinum\n"
    "447400123456,,Tom,,m,,vip,silver\n"
    "not-a-number,bad@example.com,X,,,,,\n"
    "\n"
    "919876543211,b@example.com,Bo,,alien,,,\n"
    "919876543210,,Duplicate,,,,,\n"
)


def test_it_guesses_the_mapping_from_headers(account):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    assert job.status == ImportStatus.MAPPING
    assert job.has_header and job.total == 5
    assert job.headers[:3] == ["Mobile", "Email", "First Name"]
    assert job.mapping == [
        "phone",
        "email",
        "first_name",
        "last_name",
        "gender",
        "birth_date",
        "tags",
        "attr:membership",
    ]
    assert job.sample[1][0] == "+91 98765 43210"


def test_a_csv_import_adds_contacts_and_reports_rejected_rows(account, django_capture_on_commit_callbacks):
    job = run_upload(account, csv_upload(CSV), capture=django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE
    assert (job.total, job.processed) == (5, 5)
    assert (job.added, job.updated, job.skipped, job.invalid) == (2, 0, 1, 2)
    asha = Contact.objects.get(account=account, identity="919876543210")
    assert (asha.first_name, asha.last_name, asha.gender) == ("Asha", "Rao", "female")
    assert asha.birth_date == datetime.date(1990, 4, 1)
    assert asha.attributes == {"membership": "platinum"}
    assert sorted(asha.tags.values_list("name", flat=True)) == ["gold", "vip"]
    assert set(asha.identifiers.values_list("type", "value")) == {
        ("phone", "919876543210"),
        ("email", "asha@example.com"),
    }
    rows = {r.row: (r.kind, r.reason) for r in job.rows.all()}
    assert rows[4][0] == "invalid" and "not-a-number" in rows[4][1]
    assert rows[6] == ("invalid", "Gender “alien” must be male or female.")
    assert rows[7] == ("skipped", "Duplicate of row 2 in this file.")
    assert not Contact.objects.filter(identity="919876543211").exists()


def test_a_second_import_updates_matching_contacts_by_identifier(account, django_capture_on_commit_callbacks):
    run_upload(account, csv_upload(CSV), capture=django_capture_on_commit_callbacks)
    again = "email,first_name,city,tags\nasha@example.com,Asha,Pune,new\n447400123456@x.io,Nobody,,\n"
    second = run_upload(account, csv_upload(again), capture=django_capture_on_commit_callbacks)
    assert (second.added, second.updated, second.skipped, second.invalid) == (1, 1, 0, 0)
    asha = Contact.objects.get(account=account, identity="919876543210")
    assert asha.city == "Pune" and asha.first_name == "Asha"
    assert sorted(asha.tags.values_list("name", flat=True)) == ["gold", "new", "vip"]
    unchanged = run_upload(account, csv_upload(again), capture=django_capture_on_commit_callbacks)
    assert (unchanged.added, unchanged.updated, unchanged.skipped) == (0, 0, 2)


def test_a_row_matching_two_contacts_updates_the_first_in_match_order(account, django_capture_on_commit_callbacks):
    # The mobile belongs to one contact, the e-mail to another; the file lists the e-mail first.
    first = "mobile,email\n919876543210,\n447400123456,tom@example.com\n"
    run_upload(account, csv_upload(first), capture=django_capture_on_commit_callbacks)
    row = "email,mobile,city\ntom@example.com,919876543210,Pune\n"
    job = run_upload(account, csv_upload(row), capture=django_capture_on_commit_callbacks)
    assert (job.added, job.updated, job.skipped, job.invalid) == (0, 1, 0, 0)
    by_mobile = Contact.objects.get(account=account, identity="919876543210")
    tom = Contact.objects.get(account=account, identity="447400123456")
    assert by_mobile.city == "Pune" and tom.city is None  # the mobile comes before the e-mail
    # The e-mail stays with the contact it belongs to: an import never merges.
    assert Identifier.objects.get(account=account, type="email", value="tom@example.com").contact == tom
    assert not by_mobile.identifiers.filter(type="email").exists()


def test_replace_tags_drops_tags_not_in_the_file(account, django_capture_on_commit_callbacks):
    run_upload(account, csv_upload(CSV), capture=django_capture_on_commit_callbacks)
    job = run_upload(
        account,
        csv_upload("phone,tags\n919876543210,bronze\n"),
        capture=django_capture_on_commit_callbacks,
        replace_tags=True,
    )
    assert job.updated == 1
    asha = Contact.objects.get(account=account, identity="919876543210")
    assert list(asha.tags.values_list("name", flat=True)) == ["bronze"]


def test_a_chosen_mapping_and_extra_tags_apply(account, django_capture_on_commit_callbacks):
    text = "a,b,c\n919876543210,Asha,keep me out\n"
    job = run_upload(
        account,
        csv_upload(text),
        mapping=["phone", "first_name", ""],
        extra_tags=["Imported"],
        capture=django_capture_on_commit_callbacks,
    )
    contact = Contact.objects.get(account=account)
    assert contact.first_name == "Asha" and contact.attributes == {}
    assert list(contact.tags.values_list("name", flat=True)) == ["Imported"]
    assert job.extra_tags == ["Imported"]


def test_an_xlsx_import_reads_numbers_and_dates(account, django_capture_on_commit_callbacks):
    rows = [
        ["phone", "first_name", "birth_date"],
        [919876543210, "Asha", datetime.datetime(1990, 4, 1)],
        [None, None, None],
        ["447400123456", "Tom", None],
    ]
    job = services.create_import(account=account, upload=xlsx_upload(rows))
    assert (job.file_format, job.status, job.total) == ("xlsx", ImportStatus.INSPECTING, 0)
    job = read_workbook(job)
    assert (job.status, job.total) == (ImportStatus.MAPPING, 2)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_import(job=job)
    job.refresh_from_db()
    assert (job.status, job.added) == (ImportStatus.DONE, 2)
    assert Contact.objects.get(identity="919876543210").birth_date == datetime.date(1990, 4, 1)


def test_a_legacy_xls_workbook_is_read(account, django_capture_on_commit_callbacks):
    from pathlib import Path

    data = (Path(__file__).parent / "fixtures" / "contacts.xls").read_bytes()
    job = read_workbook(services.create_import(account=account, upload=csv_upload(data, "contacts.xls")))
    assert job.file_format == "xls" and job.total == 3
    assert job.mapping == ["phone", "first_name", "birth_date", "attr:vip"]
    with django_capture_on_commit_callbacks(execute=True):
        services.start_import(job=job)
    job.refresh_from_db()
    assert (job.status, job.added, job.invalid) == (ImportStatus.DONE, 2, 1)
    asha = Contact.objects.get(account=account, identity="919876543210")
    assert asha.birth_date == datetime.date(1990, 4, 1) and asha.attributes == {"vip": "1"}
    assert job.rows.get().row == 3


def test_a_headerless_file_is_recognised_by_its_values(account, django_capture_on_commit_callbacks):
    job = services.create_import(account=account, upload=csv_upload("919876543210\n447400123456\n", "list.txt"))
    assert not job.has_header and job.total == 2 and job.mapping == ["phone"]
    services.set_header(job=job, has_header=True)
    assert job.total == 1 and job.headers == ["919876543210"]
    services.set_header(job=job, has_header=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_import(job=job)
    assert Contact.objects.filter(account=account).count() == 2


def test_semicolon_files_in_windows_1252_are_read(account, django_capture_on_commit_callbacks):
    data = "phone;first_name\n919876543210;Zoë\n".encode("cp1252")
    run_upload(account, csv_upload(data), capture=django_capture_on_commit_callbacks)
    assert Contact.objects.get(account=account).first_name == "Zoë"


def test_undecodable_rows_are_rejected_not_guessed(account, django_capture_on_commit_callbacks):
    data = b"phone,first_name\n919876543210,Asha\n" + b"x" * 70000 + b"\n447400123456,Bad\xff\xfe name\n"
    job = run_upload(account, csv_upload(data), capture=django_capture_on_commit_callbacks)
    reasons = [r.reason for r in job.rows.all()]
    assert "The row is not valid UTF-8 text." in reasons


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.pdf", b"%PDF", "txt, csv, xls, xlsx"),
        ("list.csv", b"", "empty"),
        ("list.xlsx", b"not a zip", "not a valid Excel"),
        ("list.csv", b"phone\n", "no contacts"),
        ("list.csv", b"\n\n", "no rows"),
    ],
)
def test_unreadable_files_are_refused(account, name, content, message):
    from portal.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.create_import(account=account, upload=csv_upload(content, name))
    assert message in exc.value.message
    assert not ContactImport.objects.exists()


def test_files_over_the_limit_are_refused(account, settings):
    from portal.core.errors import ValidationFailed

    settings.CONTACT_IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationFailed, match="greater than"):
        services.create_import(account=account, upload=csv_upload("phone\n" + "919876543210\n" * 20))


def test_a_mapping_without_an_identifier_is_refused(account):
    from portal.core.errors import ValidationFailed

    job = services.create_import(account=account, upload=csv_upload("name,city\nAsha,Pune\n"))
    with pytest.raises(ValidationFailed, match="at least one column"):
        services.start_import(job=job)
    with pytest.raises(ValidationFailed, match="Two columns"):
        services.start_import(job=job, mapping=["phone", "phone"])


def test_short_and_long_rows_are_read_by_position(account, django_capture_on_commit_callbacks):
    text = "phone,first_name,city\n919876543210\n447400123456,Tom,Leeds,extra,cells\n"
    job = run_upload(account, csv_upload(text), capture=django_capture_on_commit_callbacks)
    assert (job.added, job.invalid) == (2, 0)
    assert Contact.objects.get(identity="919876543210").city is None
    assert Contact.objects.get(identity="447400123456").city == "Leeds"


def test_overlong_values_are_invalid_with_the_field_named(account, django_capture_on_commit_callbacks):
    text = f"phone,city\n919876543210,{'x' * 101}\n"
    job = run_upload(account, csv_upload(text), capture=django_capture_on_commit_callbacks)
    assert job.invalid == 1 and job.rows.get().reason == "City is longer than 100 characters."


def test_rows_without_any_identifier_are_invalid(account, django_capture_on_commit_callbacks):
    job = run_upload(
        account, csv_upload("phone,first_name\n,Asha\n919876543210,Bo\n"), capture=django_capture_on_commit_callbacks
    )
    assert (job.added, job.invalid) == (1, 1)
    assert job.rows.get().reason.startswith("The row has no identity")


def test_cancelling_a_queued_job_stops_it_before_it_runs(account, django_capture_on_commit_callbacks):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.start_import(job=job)
    services.cancel_import(job=job)
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert not Contact.objects.exists()


def test_cancelling_a_running_job_keeps_committed_chunks_only(account, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "CHUNK", 2)
    lines = "".join(f"4474001234{i:02d}\n" for i in range(10))
    job = services.create_import(account=account, upload=csv_upload("phone\n" + lines))
    original = services._write_chunk
    calls = []

    def cancel_after_first(job_, writer, chunk, *args):
        calls.append(len(chunk))
        if len(calls) == 2:
            ContactImport.objects.filter(pk=job_.pk).update(cancel_requested=True)
        original(job_, writer, chunk, *args)

    monkeypatch.setattr(services, "_write_chunk", cancel_after_first)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_import(job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert job.processed == 2 and Contact.objects.count() == 2


def test_a_finished_job_cannot_be_cancelled(account, django_capture_on_commit_callbacks):
    from portal.core.errors import ValidationFailed

    job = run_upload(account, csv_upload(CSV), capture=django_capture_on_commit_callbacks)
    with pytest.raises(ValidationFailed, match="already finished"):
        services.cancel_import(job=job)


def test_a_stale_running_job_resumes_after_its_last_chunk(account, monkeypatch, django_capture_on_commit_callbacks):
    from django.utils import timezone

    monkeypatch.setattr(services, "CHUNK", 2)
    lines = "".join(f"4474001234{i:02d}\n" for i in range(6))
    job = services.create_import(account=account, upload=csv_upload("phone\n" + lines))
    services.start_import(job=job)  # queued, the task not run (callbacks not executed)
    original = services._write_chunk

    def die_on_second(job_, writer, chunk, *args):
        if job_.processed == 0 and ContactImport.objects.get(pk=job_.pk).processed == 2:
            raise SystemExit  # the worker process dies mid-job
        original(job_, writer, chunk, *args)

    monkeypatch.setattr(services, "_write_chunk", die_on_second)
    with pytest.raises(SystemExit):
        services.run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed) == (ImportStatus.RUNNING, 2)
    monkeypatch.setattr(services, "_write_chunk", original)
    later = timezone.now() + services.STALE_AFTER * 2
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_stale(now=later) == 1
    job.refresh_from_db()
    assert (job.status, job.processed, job.added, job.attempts) == (ImportStatus.DONE, 6, 6, 2)
    assert Contact.objects.count() == 6


def test_a_job_that_keeps_dying_is_failed(account):
    from django.utils import timezone

    job = services.create_import(account=account, upload=csv_upload(CSV))
    old = timezone.now() - services.STALE_AFTER * 2
    ContactImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, attempts=3, heartbeat_at=old)
    assert services.sweep_stale() == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "stopped unexpectedly" in job.error


def test_deleting_an_import_keeps_its_contacts(account, django_capture_on_commit_callbacks):
    job = run_upload(account, csv_upload(CSV), capture=django_capture_on_commit_callbacks)
    storage, name = job.file.storage, job.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_import(job=job)
    assert not ContactImport.objects.exists()
    assert not storage.exists(name)
    assert Contact.objects.filter(account=account).count() == 2


def test_imports_never_touch_another_account(account, django_capture_on_commit_callbacks):
    other = make_account()[0]
    Contact.objects.create(account=other, identity="919876543210", first_name="Other")
    Tag.objects.create(account=other, name="vip")
    job = run_upload(account, csv_upload(CSV), capture=django_capture_on_commit_callbacks)
    assert job.added == 2
    assert Contact.objects.get(account=other).first_name == "Other"
    assert not Identifier.objects.filter(account=other).exists()
    assert Tag.objects.filter(name="vip").count() == 2
    assert ContactImport.objects.for_account(other).count() == 0

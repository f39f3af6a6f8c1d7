"""Contract tests: /api/v2/contacts/import/subscribers (24 list, 25 import, 26 show, 27 delete)."""

import pytest

from contacts.imports import services
from contacts.imports.models import ContactImport
from contacts.models import Contact
from tests.api.helpers import assert_unauthenticated, bearer
from tests.contacts.import_helpers import csv_upload, xlsx_upload
from tests.factories import make_account, make_key

URL = "/api/v2/contacts/import/subscribers"
CSV = "phone,email,first_name,tier\n919876543210,a@example.com,Asha,gold\n447400123456,,Tom,\nbad,,X,\n"
RECORD_KEYS = {
    "id",
    "file_name",
    "format",
    "status",
    "total",
    "processed",
    "progress",
    "imported",
    "added",
    "updated",
    "skipped",
    "failed",
    "replace_tags",
    "columns",
    "error",
    "created_at",
    "updated_at",
    "started_at",
    "finished_at",
}


def post_file(api_client, upload, **extra):
    return api_client.post(URL, {"file": upload, **extra}, format="multipart")


def test_import_subscribers_accepts_the_file_and_runs_it(api_client, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        res = post_file(api_client, csv_upload(CSV))
    assert res.status_code == 200
    body = res.json()
    assert list(body) == ["status", "code", "message", "data"]
    assert (body["status"], body["code"], body["message"]) == ("OK", 200, "3 subscriber(s) imported successfully")
    assert set(body["data"]) == RECORD_KEYS
    assert body["data"]["status"] == "queued" and body["data"]["file_name"] == "contacts.csv"
    assert body["data"]["columns"][3] == {"header": "tier", "field": "attr:tier"}
    job = ContactImport.objects.get(account=account)
    assert (job.status, job.added, job.invalid) == ("done", 2, 1)
    assert Contact.objects.get(account=account, identity="919876543210").attributes == {"tier": "gold"}


def test_import_subscribers_reads_xlsx_and_replace_tags(api_client, account, django_capture_on_commit_callbacks):
    upload = xlsx_upload([["mobile", "tags"], [919876543210, "a,b"]])
    with django_capture_on_commit_callbacks(execute=True):
        res = post_file(api_client, upload, replace_tags="1")
    # A workbook is read by the job, after the answer: no row has been counted yet (docs/api.md).
    assert res.json()["message"] == "0 subscriber(s) imported successfully"
    assert (res.json()["data"]["status"], res.json()["data"]["replace_tags"]) == ("inspecting", 1)
    job = ContactImport.objects.get(account=account)
    assert (job.status, job.total, job.added) == ("done", 1, 1)
    assert sorted(Contact.objects.get(account=account).tags.values_list("name", flat=True)) == ["a", "b"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "file", "The file field is required."),
        ({"file": ("x.pdf", b"%PDF")}, "file", "The file must be a file of type: txt, csv, xls, xlsx."),
        ({"file": ("x.csv", b"")}, "file", "The file is empty."),
        ({"file": ("x.csv", b"name,city\nA,B\n")}, "file", "The file needs a column named identity"),
        (
            {"file": ("x.csv", b"phone\n919876543210\n"), "replace_tags": "maybe"},
            "replace_tags",
            "The replace tags field must be 1 or 0.",
        ),
    ],
)
def test_import_subscribers_validates_the_upload(api_client, data, field, message):
    payload = {k: csv_upload(v[1], v[0]) if isinstance(v, tuple) else v for k, v in data.items()}
    res = api_client.post(URL, payload, format="multipart")
    assert res.status_code == 422
    body = res.json()
    assert body["status"] == "failed" and body["code"] == 422
    assert body["message"].startswith(message) and field in body["errors"]
    assert not ContactImport.objects.exists()


def test_import_subscribers_refuses_files_over_5_mb(api_client):
    big = b"phone\n" + b"919876543210\n" * (5 * 1024 * 1024 // 13 + 10)
    res = post_file(api_client, csv_upload(big))
    assert res.status_code == 422
    assert res.json()["errors"] == {"file": ["The file may not be greater than 5 MB."]}


def test_list_imports_is_paginated_and_scoped(api_client, account, other_account):
    for _ in range(3):
        services.create_import(account=account, upload=csv_upload(CSV))
    services.create_import(account=other_account, upload=csv_upload(CSV))
    res = api_client.get(URL, {"per_page": 2})
    assert res.status_code == 200
    body = res.json()
    assert (body["status"], body["code"], body["message"]) == ("OK", 200, "OK")
    assert len(body["data"]) == 2 and body["meta"]["total"] == 3 and body["meta"]["per_page"] == 2
    assert body["links"]["next"].endswith("page=2")
    assert {"first", "last", "prev", "next"} == set(body["links"])
    ids = [d["id"] for d in body["data"]]
    assert ids == sorted(ids, reverse=True)


def test_list_imports_filters_by_status(api_client, account):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    services.create_import(account=account, upload=csv_upload(CSV))
    services.cancel_import(job=job)
    res = api_client.get(URL, {"filter[status]": "cancelled"})
    assert [d["id"] for d in res.json()["data"]] == [job.pk]
    assert api_client.get(URL, {"filter[status]": "nope"}).status_code == 422


def test_show_import(api_client, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_file(api_client, csv_upload(CSV)).json()["data"]["id"]
    res = api_client.get(f"{URL}/{job_id}")
    assert res.status_code == 200
    body = res.json()
    assert (body["status"], body["code"], body["message"]) == ("OK", 200, "OK")
    data = body["data"]
    assert (data["status"], data["total"], data["imported"], data["added"], data["failed"]) == ("done", 3, 2, 2, 1)
    assert data["progress"] == 100 and data["finished_at"].endswith("Z")


def test_delete_import_entry(api_client, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_file(api_client, csv_upload(CSV)).json()["data"]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.delete(f"{URL}/{job_id}")
    assert res.status_code == 200
    assert res.json() == {"status": "OK", "code": 200, "message": "Import record deleted successfully", "data": []}
    assert not ContactImport.objects.exists()
    assert Contact.objects.filter(account=account).count() == 2
    assert api_client.delete(f"{URL}/{job_id}").status_code == 404


def test_delete_works_through_the_method_override(api_client, account):
    job = services.create_import(account=account, upload=csv_upload(CSV))
    res = api_client.post(f"{URL}/{job.pk}?_method=DELETE")
    assert res.json()["message"] == "Import record deleted successfully"


@pytest.mark.parametrize("method", ["get", "delete"])
def test_another_accounts_import_is_not_found(api_client, other_account, method):
    job = services.create_import(account=other_account, upload=csv_upload(CSV))
    for pk in (job.pk, "abc", 999999):
        res = getattr(api_client, method)(f"{URL}/{pk}")
        assert res.status_code == 404
        body = res.json()
        assert (body["status"], body["code"], body["message"].lower()) == ("failed", 404, "not found.")
    assert ContactImport.objects.filter(pk=job.pk).exists()


def test_the_endpoints_need_a_key(client, db):
    assert_unauthenticated(client.get(URL))
    assert_unauthenticated(client.post(URL))
    assert_unauthenticated(client.get(f"{URL}/1"))


def test_a_key_of_another_account_sees_only_its_own(account, django_capture_on_commit_callbacks):
    services.create_import(account=account, upload=csv_upload(CSV))
    other = make_account()[0]
    res = bearer(make_key(other)[1]).get(URL)
    assert res.json()["data"] == [] and res.json()["meta"]["total"] == 0

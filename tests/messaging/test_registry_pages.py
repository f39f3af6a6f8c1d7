"""Customer pages for senders, templates, unsubscribers, blocked templates; the staff review desk."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Role, User
from accounts.notifications.models import Notification
from messaging.review import services as review
from messaging.senders import services
from messaging.senders.models import ReviewStatus, Sender, Template
from messaging.suppressions import services as suppressions
from messaging.suppressions.models import BlockedTemplate, ImportJob, Unsubscriber
from tests.factories import make_account, make_member

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(User.objects.create_user(email="desk@example.com", password="x", is_staff=True))
    return client


def _sender(account, name="Acme", status=None):
    sender = services.create_sender(account=account, data={"name": name, "country_code": "GB", "service": "G"})
    if status == ReviewStatus.APPROVED:
        review.approve(item=sender)
    return sender


def test_registering_a_sender_in_the_dialog(user_client, account):
    form = user_client.get("/sms/senders/new/", **HX)
    assert form.content.decode().lstrip().startswith('<form id="sender-form"')
    res = user_client.post("/sms/senders/new/", {"name": "x" * 14, "service": "G", "country_code": "GB"}, **HX)
    assert res.status_code == 422 and "up to 11 letters" in res.content.decode()
    res = user_client.post("/sms/senders/new/", {"name": "Acme", "service": "G", "country_code": "GB"}, **HX)
    assert res.status_code == 204 and res["HX-Redirect"] == "/sms/senders/"
    assert Sender.objects.get(account=account).status == ReviewStatus.PENDING


def test_the_sender_list_filters_and_caps_queries(user_client, account, django_assert_max_num_queries):
    for i in range(30):
        _sender(account, f"Brand{i}")
    with django_assert_max_num_queries(12):
        html = user_client.get("/sms/senders/?q=Brand2", **HX).content.decode()
    assert "Brand2" in html and "Brand3<" not in html and "Brand21" in html
    assert "Pending" in html


def test_edit_and_delete_a_sender(user_client, account):
    sender = _sender(account)
    res = user_client.post(
        f"/sms/senders/{sender.uuid}/edit/",
        {"name": "Acme", "service": "G", "country_code": "GB", "entity_name": "Acme plc"},
    )
    assert res.status_code == 302
    sender.refresh_from_db()
    assert sender.entity_name == "Acme plc"
    user_client.post(f"/sms/senders/{sender.uuid}/delete/")
    assert not Sender.objects.filter(pk=sender.pk).exists()


def test_templates_page_creates_and_exports(user_client, account):
    sender = _sender(account, status=ReviewStatus.APPROVED)
    res = user_client.post(
        "/sms/templates/new/",
        {"sender": str(sender.uuid), "name": "Shipping", "type": "T", "body": "Order {{id}} has shipped today"},
    )
    assert res.status_code == 302
    template = Template.objects.get(account=account)
    assert "Order {{id}} has shipped today" in user_client.get("/sms/templates/").content.decode()
    body = b"".join(user_client.get("/sms/templates/export.csv").streaming_content).decode()
    assert "Shipping" in body and template.alias in body


def test_an_analyst_reads_but_cannot_register(client, account):
    client.force_login(make_member(account, Role.ANALYST))
    assert client.get("/sms/senders/").status_code == 200
    assert client.get("/sms/senders/new/").status_code == 403
    assert client.post("/sms/suppressions/unsubscribers/new/", {"receiver": "919876543210"}).status_code == 403


def test_another_accounts_items_are_404_on_pages(user_client, other_account):
    sender = _sender(other_account)
    unsub = suppressions.add_unsubscriber(account=other_account, data={"receiver": "919876543210"})
    block = suppressions.add_blocked_template(account=other_account, data={"template_id": "77"})
    assert user_client.get(f"/sms/senders/{sender.uuid}/edit/").status_code == 404
    assert user_client.post(f"/sms/senders/{sender.uuid}/delete/").status_code == 404
    assert user_client.get(f"/sms/senders/{sender.uuid}/document/").status_code == 404
    assert user_client.post(f"/sms/suppressions/unsubscribers/{unsub.uuid}/delete/").status_code == 404
    assert user_client.post(f"/sms/suppressions/blocked-templates/{block.uuid}/toggle/").status_code == 404
    assert "Acme" not in user_client.get("/sms/senders/").content.decode()
    assert Sender.objects.filter(pk=sender.pk).exists() and Unsubscriber.objects.filter(pk=unsub.pk).exists()
    block.refresh_from_db()
    assert block.is_active


def test_unsubscribers_page_add_import_with_progress_and_clean(
    user_client, account, django_capture_on_commit_callbacks
):
    res = user_client.post("/sms/suppressions/unsubscribers/new/", {"receiver": "+91 98765 43210", "type": "all"}, **HX)
    assert res.status_code == 204
    upload = SimpleUploadedFile("optouts.csv", b"919876543211\nbad\n919876543210\n")
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post("/sms/suppressions/imports/unsubscribers/", {"file": upload})
    job = ImportJob.objects.get(account=account)
    fragment = user_client.get(f"/sms/suppressions/imports/job/{job.uuid}/").content.decode()
    assert "1 added" in fragment and "1 duplicate" in fragment and "1 rejected" in fragment
    assert "hx-trigger" not in fragment  # finished: polling stops
    report = user_client.get(f"/sms/suppressions/imports/job/{job.uuid}/report.csv")
    assert b"bad" in b"".join(report.streaming_content)
    assert "919876543211" in user_client.get("/sms/suppressions/unsubscribers/").content.decode()
    user_client.post("/sms/suppressions/unsubscribers/clean/")
    assert not Unsubscriber.objects.filter(account=account).exists()


def test_a_running_import_keeps_polling(user_client, account):
    from messaging.suppressions import importers

    job = importers.create_job(account=account, kind="unsubscribers", content=b"919876543210\n", filename="a.csv")
    assert 'hx-trigger="every 1s"' in user_client.get(f"/sms/suppressions/imports/job/{job.uuid}/").content.decode()


@pytest.mark.parametrize(
    ("what", "content", "list_url", "table"),
    [
        ("unsubscribers", b"919876543211\n", "/sms/suppressions/unsubscribers/", "unsubscriber-table"),
        ("blocked-templates", b"1107161521283358301\n", "/sms/suppressions/blocked-templates/", "blocked-table"),
    ],
)
def test_the_list_reloads_when_its_import_finishes(
    user_client, account, django_capture_on_commit_callbacks, what, content, list_url, table
):
    page = user_client.get(f"{list_url}?q=9").content.decode()
    listener = page.split(f'id="{table}"', 1)[1].split(">", 1)[0]
    assert 'hx-trigger="importFinished from:body"' in listener and f'hx-get="{list_url}?q=9"' in listener

    from messaging.suppressions import importers

    job = importers.create_job(account=account, kind=what.replace("-", "_"), content=content, filename="a.csv")
    assert "HX-Trigger" not in user_client.get(f"/sms/suppressions/imports/job/{job.uuid}/", **HX)
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(f"/sms/suppressions/imports/{what}/", {"file": SimpleUploadedFile("b.csv", content)})
    finished = ImportJob.objects.filter(account=account).latest("created_at")
    last_poll = user_client.get(f"/sms/suppressions/imports/job/{finished.uuid}/", **HX)
    assert last_poll["HX-Trigger"] == "importFinished"
    fragment = user_client.get(list_url, **HX).content.decode()
    assert f'id="{table}"' in fragment
    assert content.decode().strip() in fragment


def test_blocked_templates_page(user_client, account):
    assert (
        user_client.post(
            "/sms/suppressions/blocked-templates/new/", {"template_id": "12", "status": "1"}, **HX
        ).status_code
        == 204
    )
    block = BlockedTemplate.objects.get(account=account)
    user_client.post(f"/sms/suppressions/blocked-templates/{block.uuid}/toggle/")
    block.refresh_from_db()
    assert not block.is_active
    res = user_client.post("/sms/suppressions/blocked-templates/new/", {"template_id": "12", "status": "1"}, **HX)
    assert res.status_code == 422 and "already blocked" in res.content.decode()


def test_the_review_desk_queue_and_decisions(staff_client, account):
    first, second = _sender(account, "First"), _sender(account, "Second")
    html = staff_client.get("/staff/review/").content.decode()
    assert html.index("First") < html.index("Second")
    assert "Second" not in staff_client.get("/staff/review/?service=T", **HX).content.decode()
    detail = staff_client.get(f"/staff/review/sender/{first.uuid}/").content.decode()
    assert "First" in detail and "Decision" in detail
    res = staff_client.post(f"/staff/review/sender/{first.uuid}/decide/", {"decision": "reject", "reason": ""})
    assert res.status_code == 302
    first.refresh_from_db()
    assert first.status == ReviewStatus.PENDING  # a rejection needs a reason
    staff_client.post(f"/staff/review/sender/{first.uuid}/decide/", {"decision": "reject", "reason": "No LOA"})
    staff_client.post("/staff/review/bulk/", {"decision": "approve", "items": [f"sender:{second.uuid}"]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.review_message, second.status) == (
        ReviewStatus.REJECTED,
        "No LOA",
        ReviewStatus.APPROVED,
    )
    assert Notification.objects.filter(account=account).count() == 2


def test_customers_cannot_use_the_review_desk(user_client, account):
    sender = _sender(account)
    assert user_client.get("/staff/review/").status_code == 403
    assert user_client.post(f"/staff/review/sender/{sender.uuid}/decide/", {"decision": "approve"}).status_code == 403
    sender.refresh_from_db()
    assert sender.status == ReviewStatus.PENDING


def test_the_document_is_private(user_client, staff_client, account, client):
    pdf = SimpleUploadedFile("loa.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    sender = services.create_sender(
        account=account, data={"name": "Doc", "country_code": "GB", "service": "G", "document": pdf}
    )
    url = f"/sms/senders/{sender.uuid}/document/"
    assert user_client.get(url).status_code == 200
    assert staff_client.get(url).status_code == 200
    stranger = Client()
    stranger.force_login(make_account()[1])
    assert stranger.get(url).status_code == 404


def test_notifications_page_and_mark_read(user_client, account):
    _sender(account, status=ReviewStatus.APPROVED)
    html = user_client.get("/notifications/").content.decode()
    assert "was approved" in html and 'id="unread-count"' in html
    user_client.post("/notifications/read/")
    assert 'id="unread-count"' not in user_client.get("/notifications/").content.decode()


def test_sender_and_template_csv_imports_check_each_row(user_client, account, django_capture_on_commit_callbacks):
    senders = (
        b"name,service,country_code,entity_id,entity_name\n"
        b"Alpha,G,GB,,\nACMEIN,T,IN,1101234567890,Acme\nBAD NAME!,G,GB,,\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post("/sms/suppressions/imports/senders/", {"file": SimpleUploadedFile("s.csv", senders)})
    job = ImportJob.objects.get(account=account, kind="senders")
    assert (job.total, job.added, job.invalid) == (3, 2, 1) and job.rejected_sample[0]["row"] == 4
    review.approve(item=Sender.objects.get(account=account, name="ACMEIN"))
    templates = (
        b"sender,name,type,template_id,body\n"
        b"ACMEIN,Welcome,T,1107161521283358301,Welcome {#var#} to Acme services\n"
        b"Alpha,Other,T,1,Pending sender {{x}} here\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post("/sms/suppressions/imports/templates/", {"file": SimpleUploadedFile("t.csv", templates)})
    job = ImportJob.objects.get(account=account, kind="templates")
    assert (job.added, job.invalid) == (1, 1)
    assert "approved" in job.rejected_sample[0]["reason"]
    page = user_client.get("/sms/templates/").content.decode()
    assert f'id="job-{job.uuid}"' in page and "1 rejected" in page and 'name="file"' in page


def test_an_unsubscriber_is_edited_in_the_dialog(user_client, account):
    unsub = suppressions.add_unsubscriber(account=account, data={"receiver": "919876543210"})
    res = user_client.post(
        f"/sms/suppressions/unsubscribers/{unsub.uuid}/edit/",
        {"receiver": "919876543210", "type": "tag", "value": "promo"},
        **HX,
    )
    assert res.status_code == 204
    unsub.refresh_from_db()
    assert (unsub.type, unsub.value) == ("tag", "promo")


def test_suppression_lists_sort(user_client, account):
    for number in ("919876543212", "919876543210", "919876543211"):
        suppressions.add_unsubscriber(account=account, data={"receiver": number})
    html = user_client.get("/sms/suppressions/unsubscribers/?ordering=receiver", **HX).content.decode()
    assert html.index("919876543210") < html.index("919876543211") < html.index("919876543212")


def test_staff_choose_a_customers_services(staff_client, account):
    from messaging.services.products import enabled_products

    res = staff_client.post(f"/staff/customers/{account.uuid}/services/", {"services": ["T", "MKT"]})
    assert res.status_code == 302
    assert set(enabled_products(account).values_list("code", flat=True)) == {"T", "MKT"}
    html = staff_client.get(f"/staff/customers/{account.uuid}/").content.decode()
    assert 'value="MKT" checked' in html

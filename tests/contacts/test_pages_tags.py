"""Tags page: list with contact counts, search, create/rename dialogs, delete."""

import pytest
from django.urls import reverse

from contacts.models import Tag
from contacts.services import contacts as contact_services
from contacts.services import tags as tag_services

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_empty_state(user_client):
    assert "No tags yet." in user_client.get(reverse("contacts:tag_list")).content.decode()


def test_the_list_counts_contacts_and_searches(user_client, account, other_account):
    contact_services.create_contact(account=account, data={"identity": "a", "phone": "+919876543210", "tags": ["vip"]})
    tag_services.create_tag(account=account, data={"name": "gold"})
    tag_services.create_tag(account=other_account, data={"name": "theirs"})
    html = user_client.get(reverse("contacts:tag_list")).content.decode()
    assert "vip" in html and "gold" in html and "theirs" not in html
    assert '<td data-label="Contacts" class="num">1</td>' in html
    html = user_client.get(reverse("contacts:tag_list"), {"q": "go"}, **HTMX).content.decode()
    assert html.startswith('<div id="tag-table"') and "gold" in html and "vip" not in html


def test_create_and_rename(user_client, account):
    res = user_client.post(reverse("contacts:tag_create"), {"name": "premium 1"}, **HTMX)
    assert res.status_code == 204
    tag = Tag.objects.get(account=account)
    res = user_client.post(reverse("contacts:tag_edit", args=[tag.pk]), {"name": "premium"}, **HTMX)
    assert res.status_code == 204
    tag.refresh_from_db()
    assert tag.name == "premium"


def test_bad_input_re_renders_the_dialog(user_client, account):
    tag_services.create_tag(account=account, data={"name": "vip"})
    res = user_client.post(reverse("contacts:tag_create"), {"name": ""}, **HTMX)
    assert res.status_code == 422 and res.content.decode().lstrip().startswith('<form id="tag-form"')
    res = user_client.post(reverse("contacts:tag_create"), {"name": "vip"}, **HTMX)
    assert res.status_code == 422 and "errorlist" in res.content.decode()


def test_delete(user_client, account):
    tag = tag_services.create_tag(account=account, data={"name": "vip"})
    assert user_client.post(reverse("contacts:tag_delete", args=[tag.pk])).status_code == 302
    assert not Tag.objects.exists()


@pytest.mark.parametrize(("name", "method"), [("tag_edit", "get"), ("tag_edit", "post"), ("tag_delete", "post")])
def test_another_accounts_tag_is_404(user_client, other_account, name, method):
    tag = tag_services.create_tag(account=other_account, data={"name": "theirs"})
    assert getattr(user_client, method)(reverse(f"contacts:{name}", args=[tag.pk])).status_code == 404
    assert Tag.objects.filter(pk=tag.pk, name="theirs").exists()

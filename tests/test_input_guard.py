"""The pages' input guard (portal/middleware.py InputGuardMiddleware, portal/pages.py PageForm):
NUL and unpaired surrogates never reach a page's code; forms show them as field errors, anything
else that reads them answers a 400 page; bodies over the limits are a 413 page."""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.urls import reverse

from contacts.models import Contact, Segment, Tag
from contacts.services import contacts as contact_services
from portal.middleware import GuardedQueryDict, RefusedInput
from portal.pages import PageForm

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PACKAGES = ("accounts", "contacts", "messaging", "portal", "voice")


def test_a_form_shows_the_refusal_on_its_field_and_writes_nothing(user_client):
    res = user_client.post(reverse("contacts:tag_create"), {"name": "vip\x00"})
    assert res.status_code == 422
    assert '<ul class="errorlist"><li>The name may not contain NUL characters.</li></ul>' in res.content.decode()
    res = user_client.post(reverse("contacts:contact_create"), {"identity": "c1", "first_name": "a\x00"}, **HTMX)
    assert res.status_code == 422 and "The first name may not contain NUL characters." in res.content.decode()
    assert 'value="c1"' in res.content.decode()  # the values that can be shown stay in the form
    assert not Tag.objects.exists() and not Contact.objects.exists()


def test_code_that_reads_a_refused_value_answers_a_400_page(user_client, account):
    contact = contact_services.create_contact(account=account, data={"identity": "c1", "phone": "447400123456"})
    res = user_client.post(reverse("contacts:contact_tag_add", args=[contact.pk]), {"names": "vip,\x00"})
    assert res.status_code == 400
    assert "The names may not contain NUL characters." in res.content.decode()
    assert not Tag.objects.exists()
    res = user_client.get(reverse("contacts:contact_list"), {"q": "a\x00"}, **HTMX)
    assert res.status_code == 422  # HTMX swaps 422 answers: the message shows in place
    assert res.content.decode().startswith('<div class="flash flash-error" role="alert">')


def test_a_segment_builder_post_with_nul_is_refused(user_client):
    # The builder reads request.POST directly (no form): the guard refuses at the first read.
    # (Form bodies cannot carry an unpaired surrogate: Django decodes them with replacement.)
    res = user_client.post(reverse("contacts:segment_create"), {"name": "Seg\x00"})
    assert res.status_code in (400, 422)
    assert not Segment.objects.exists()


def test_a_body_over_the_limit_is_a_413_page(user_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    res = user_client.post(reverse("contacts:tag_create"), {"name": "x" * 5000})
    assert res.status_code == 413 and "The request may not be greater than" in res.content.decode()
    settings.MAX_UPLOAD_BYTES = 4096
    upload = SimpleUploadedFile("a.csv", b"phone\n" + b"4474001234\n" * 1000)
    res = user_client.post(reverse("contact_imports:import_upload"), {"file": upload})
    assert res.status_code == 413
    assert not Tag.objects.exists()


def test_the_guarded_dict_refuses_every_way_of_reading_a_refused_value():
    params = GuardedQueryDict(QueryDict("ok=1&bad=a%00b&bad=c"), {"bad": "The bad may not contain NUL characters."})
    assert params["ok"] == "1" and params.get("ok") == "1" and "bad" in params and list(params) == ["ok", "bad"]
    reads = [
        lambda: params["bad"],
        lambda: params.get("bad"),
        lambda: params.getlist("bad"),
        lambda: list(params.items()),
        lambda: list(params.values()),
        lambda: list(params.lists()),
        lambda: params.dict(),
        lambda: params.copy(),
        lambda: params.urlencode(),
        lambda: dict(params),
    ]
    for read in reads:
        with pytest.raises(RefusedInput) as exc:
            read()
        assert exc.value.errors == {"bad": ["The bad may not contain NUL characters."]}
    assert params.safe().dict() == {"ok": "1"}


def _project_forms():
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if ".migrations" in info.name or info.name.endswith(".settings"):
                continue
            for _, obj in inspect.getmembers(importlib.import_module(info.name), inspect.isclass):
                if issubclass(obj, forms.BaseForm) and obj.__module__ == info.name:
                    yield obj


def test_every_page_form_is_a_page_form():
    found = list(_project_forms())
    assert len(found) >= 20
    assert [f.__qualname__ for f in found if not issubclass(f, PageForm)] == []

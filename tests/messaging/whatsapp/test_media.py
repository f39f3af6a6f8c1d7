"""Media upload: the catalogued limits per kind (422 with the field and the limit), the library
on the API and the page, and sends naming a media id, uploaded to the Cloud API once per number."""

import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from messaging.channels.whatsapp import cloud_api, media
from messaging.channels.whatsapp.models import WhatsappMedia
from messaging.pipeline.models import Message
from tests.messaging.whatsapp.conftest import BUSINESS, CUSTOMER

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100
MEDIA_FIELDS = {"id", "type", "filename", "mime_type", "size", "created_at"}


@pytest.fixture(autouse=True)
def _media_root(tmp_path):
    stores = {**settings.STORAGES, "whatsapp_media": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                      "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    with override_settings(STORAGES=stores):
        yield tmp_path


def _upload(api_client, kind, name, data=PNG):
    return api_client.post("/api/v2/whatsapp/media", {"type": kind, "file": SimpleUploadedFile(name, data)})


def test_upload_list_show_delete(api_client, account, _media_root):
    res = _upload(api_client, "image", "logo.png")
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["status"] == "OK" and set(body["data"]) == MEDIA_FIELDS
    assert body["data"]["type"] == "image" and body["data"]["mime_type"] == "image/png"
    assert body["data"]["size"] == len(PNG)
    stored = WhatsappMedia.objects.get()
    assert (_media_root / stored.file.name).read_bytes() == PNG  # under the storage's root
    listed = api_client.get("/api/v2/whatsapp/media").json()
    assert [m["id"] for m in listed["data"]] == [body["data"]["id"]]
    assert api_client.get(f"/api/v2/whatsapp/media/{body['data']['id']}").json()["data"]["filename"] == "logo.png"
    assert api_client.delete(f"/api/v2/whatsapp/media/{body['data']['id']}").json()["data"] == []
    assert not WhatsappMedia.objects.exists() and not (_media_root / stored.file.name).exists()
    assert api_client.get(f"/api/v2/whatsapp/media/{body['data']['id']}").status_code == 404


@pytest.mark.parametrize(
    ("kind", "name", "size", "field", "words"),
    [
        ("image", "photo.gif", 10, "file", "jpg, jpeg, png"),
        ("image", "photo.png", 5 * 1024 * 1024 + 1, "file", "5 MB"),
        ("video", "clip.mp4", 16 * 1024 * 1024 + 1, "file", "16 MB"),
        ("audio", "note.ogg", 10, "file", "ogg"),
        ("document", "photo.jpg", 10, "file", "not an image"),
        ("sticker", "s.webp", 10, "type", "invalid"),
        ("image", "empty.png", 0, "file", "empty"),
    ],
)
def test_limits_are_422_with_the_field(api_client, kind, name, size, field, words):
    res = _upload(api_client, kind, name, b"0" * size)
    assert res.status_code == 422
    body = res.json()
    assert field in body["errors"] and words in " ".join(body["errors"][field])
    assert not WhatsappMedia.objects.exists()


def test_missing_file_is_422(api_client):
    res = api_client.post("/api/v2/whatsapp/media", {"type": "image"})
    assert res.status_code == 422 and "file" in res.json()["errors"]


def test_a_send_names_its_media_by_id_and_only_its_own(api_client, account, open_window, other_account):
    mine = media.upload(account=account, kind="image", file=SimpleUploadedFile("a.png", PNG))
    theirs = media.upload(account=other_account, kind="image", file=SimpleUploadedFile("b.png", PNG))
    body = {
        "channels": [{"name": "whatsapp", "from": BUSINESS}],
        "recipient": {"to": [CUSTOMER]},
        "message": {"type": "image", "payload": {"id": str(theirs.uuid), "caption": "Hi"}},
    }
    refused = api_client.post("/api/v2/whatsapp/message/send", json.dumps(body), content_type="application/json")
    assert refused.status_code == 422 and "message.payload.id" in refused.json()["errors"]
    body["message"]["payload"]["id"] = str(mine.uuid)
    ok = api_client.post("/api/v2/whatsapp/message/send", json.dumps(body), content_type="application/json")
    assert ok.status_code == 200, ok.content
    assert Message.objects.get().content["media_id"] == str(mine.uuid)
    wrong_kind = {**body, "message": {"type": "video", "payload": {"id": str(mine.uuid)}}}
    res = api_client.post("/api/v2/whatsapp/message/send", json.dumps(wrong_kind), content_type="application/json")
    assert res.status_code == 422


def test_the_connector_uploads_once_per_number_and_sends_by_provider_id(account, business_number, monkeypatch):
    item = media.upload(account=account, kind="document", file=SimpleUploadedFile("terms.pdf", b"%PDF-1.4 x"))
    uploads, sent = [], []

    def upload_media(self, data, name, content_type):
        uploads.append((data, name, content_type))
        return "MEDIA-1"

    def post(self, path, payload):
        sent.append(payload)
        return {"messages": [{"id": f"wamid.{len(sent)}"}]}

    monkeypatch.setattr(cloud_api.Client, "upload_media", upload_media)
    monkeypatch.setattr(cloud_api.Client, "_post", post)
    client = cloud_api.client_for(business_number)
    content = {"type": "document", "media_id": str(item.uuid), "url": "", "caption": "", "filename": "terms.pdf"}
    client.send(CUSTOMER, content)
    client.send(CUSTOMER, content)
    assert uploads == [(b"%PDF-1.4 x", "terms.pdf", "application/pdf")]  # once for this number
    assert sent[0]["document"] == {"id": "MEDIA-1", "filename": "terms.pdf"}
    item.refresh_from_db()
    assert item.provider_ids == {business_number.phone_number_id: "MEDIA-1"}


def test_the_page_uploads_lists_and_shows_limit_errors_inline(user_client, account):
    page = user_client.get(reverse("whatsapp:media"))
    assert page.status_code == 200 and b"No media yet" in page.content
    upload = reverse("whatsapp:media_upload")
    bad = user_client.post(upload, {"type": "image", "file": SimpleUploadedFile("x.gif", b"GIF89a")})
    assert bad.status_code == 200 and b"jpg, jpeg, png" in bad.content and not WhatsappMedia.objects.exists()
    good = user_client.post(upload, {"type": "image", "file": SimpleUploadedFile("x.png", PNG)})
    assert good.status_code == 302
    listed = user_client.get(reverse("whatsapp:media"))
    assert b"x.png" in listed.content
    item = WhatsappMedia.objects.get()
    assert user_client.post(reverse("whatsapp:media_delete", args=[item.uuid])).status_code == 302
    assert not WhatsappMedia.objects.exists()

"""Under a brand, no page, fragment, export, error page, API answer, API reference or e-mail
names the platform or another brand. The crawl follows every link from the dashboard."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.core import mail
from django.test import RequestFactory, override_settings

from accounts.brands.models import Brand, BrandDomain, DomainStatus
from accounts.models import Role
from accounts.notifications.services import notify
from accounts.services import team
from contacts.services.contacts import create_contact
from portal.views import server_error
from tests.brands.conftest import HOST_B, api_client_for
from tests.factories import make_account, make_member

pytestmark = pytest.mark.django_db

PLATFORM = "Zephyrcloud"  # SITE_NAME during the crawl: a word no page would carry by chance
RESELLER_HOST = "portal.northwind.test"
SKIP = ("/logout/", "/static/", "/django-admin/", "/staff/", "/brand/logo", "/brand/favicon")
HREF = re.compile(r'(?:href|src|hx-get)="([^"#]+)')


def _scenarios(brand_a, brand_b):
    """(host, brand that must show, forbidden words, account) for: brand B's customer, and the
    customer of a reseller with its own brand."""
    customer_b, _ = make_account(brand=brand_b, name="Logistics Customer", credits_amount="100")
    reseller, _ = make_account(brand=brand_b, is_reseller=True, name="Northwind Ltd")
    own = Brand.objects.create(
        account=reseller,
        slug="northwind",
        name="Northwind Messaging",
        legal_footer="© Northwind",
        product_codes=brand_b.product_codes,
        default_product_codes=["ENT"],
        email_from="hello@northwind.test",
    )
    BrandDomain.objects.create(brand=own, host=RESELLER_HOST, status=DomainStatus.VERIFIED, is_primary=True)
    child, _ = make_account(parent=reseller, name="Shop Of Child", credits_amount="10")
    return [
        (HOST_B, "BICS", ["mobtexting", PLATFORM.lower(), "northwind"], customer_b),
        (RESELLER_HOST, "Northwind Messaging", ["mobtexting", "bics", PLATFORM.lower()], child),
    ]


def _check(text, forbidden, where):
    lowered = text.lower()
    for word in forbidden:
        assert word not in lowered, f"{word!r} appears in {where}"


def _crawl(client, host, forbidden):
    seen, queue, pages = set(), ["/"], 0
    while queue:
        path = queue.pop()
        if path in seen or path.startswith(SKIP):
            continue
        seen.add(path)
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            res = client.get(path, HTTP_HOST=host, **headers)
            assert res.status_code < 500, path
            if res.status_code in (301, 302):
                continue
            body = b"".join(res.streaming_content) if res.streaming else res.content
            text = body.decode("utf-8", "replace")
            _check(text, forbidden, f"{path} {headers}")
            pages += 1
            if headers:
                continue
            for href in HREF.findall(text):
                target = urlsplit(urljoin(path, href.replace("&amp;", "&")))
                if target.netloc in ("", host) and target.path.startswith("/"):
                    queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages


@override_settings(SITE_NAME=PLATFORM)
def test_every_page_under_a_brand_names_only_that_brand(client, brand_a, brand_b):
    for host, name, forbidden, account in _scenarios(brand_a, brand_b):
        owner = account.memberships.get(role=Role.OWNER).user
        create_contact(account=account, data={"identity": "ada", "phone": "919800000003"})
        api = api_client_for(account, host)
        sender = api.post(
            "/api/v2/sms/senders", {"name": "shopx", "country_code": "gb", "service": "ENT"}, format="json"
        )
        assert sender.status_code == 200, sender.content
        client.force_login(owner)
        assert name in client.get("/", HTTP_HOST=host).content.decode()
        pages = _crawl(client, host, forbidden)
        assert pages > 40, pages  # the crawl reached the portal, not just a login page
        # Error pages: unknown page, a page the role may not see, refused input, a crash.
        _check(client.get("/no-such-page/", HTTP_HOST=host).content.decode(), forbidden, "404")
        analyst = make_member(account, role=Role.ANALYST)
        client.force_login(analyst)
        denied = client.get("/developers/api-keys/", HTTP_HOST=host)
        assert denied.status_code == 403 and name in denied.content.decode()
        _check(denied.content.decode(), forbidden, "403")
        refused = client.get("/contacts/?q=a%00b", HTTP_HOST=host)
        _check(refused.content.decode(), forbidden, "400")
        request = RequestFactory().get("/", HTTP_HOST=host)
        request.brand = Brand.objects.get(name=name) if name != "BICS" else brand_b
        crash = server_error(request).content.decode()
        assert name in crash
        _check(crash, forbidden, "500")
        client.logout()
        login = client.get("/login/", HTTP_HOST=host).content.decode()
        assert name in login
        _check(login, forbidden, "login")


@override_settings(SITE_NAME=PLATFORM)
def test_api_answers_and_the_api_reference_follow_the_brand(brand_a, brand_b):
    for host, name, forbidden, account in _scenarios(brand_a, brand_b):
        api = api_client_for(account, host)
        for path in ("/api/v2/auth/me", "/api/v2/finance/balance", "/api/v2/sms/senders", "/api/v2/nothing"):
            _check(api.get(path).content.decode(), forbidden, path)
        schema = api.get("/api/schema/?format=json", HTTP_ACCEPT="application/json")
        assert schema.status_code == 200
        document = schema.json()
        assert name in document["info"]["title"]
        _check(schema.content.decode(), forbidden, "schema")
        docs = api.get("/api/docs/").content.decode()
        assert f"<title>{document['info']['title']}</title>" in docs
        _check(docs, forbidden, "api docs")
    b_schema = api_client_for(make_account(brand=brand_b)[0], HOST_B).get("/api/schema/?format=json").json()
    assert b_schema["info"]["title"] == "BICS CPaaS API"
    assert b_schema["servers"] == [{"url": "https://eu.cpaas.bics.com"}]


@override_settings(SITE_NAME=PLATFORM, DEFAULT_FROM_EMAIL=f"{PLATFORM} <no-reply@zephyrcloud.test>")
def test_every_email_under_a_brand_names_only_that_brand(client, brand_a, brand_b, django_capture_on_commit_callbacks):
    for host, name, forbidden, account in _scenarios(brand_a, brand_b):
        mail.outbox.clear()
        owner = account.memberships.get(role=Role.OWNER).user
        with django_capture_on_commit_callbacks(execute=True):
            team.invite_member(account=account, email="new.person@example.com", role=Role.DEVELOPER, actor=owner)
            notify(account=account, title="Sender approved", body="Your sender is approved.", link="/sms/senders/")
        client.post("/password-reset/", {"email": owner.email}, HTTP_HOST=host)
        assert len(mail.outbox) == 3, [m.subject for m in mail.outbox]
        for message in mail.outbox:
            html = message.alternatives[0][0]
            whole = "\n".join([message.subject, message.body, html, message.from_email, *message.reply_to])
            assert name in message.from_email and name in html
            _check(whole, forbidden, message.subject)
            for link in re.findall(r"https?://[^\s\"<]+", message.body):
                assert urlsplit(link).hostname == host, link  # links on the brand's own domain


def test_a_forged_host_never_reaches_a_reset_link(client, brand_b):
    account, owner = make_account(brand=brand_b)
    assert client.post("/password-reset/", {"email": owner.email}, HTTP_HOST="evil.example").status_code == 400
    client.post("/password-reset/", {"email": owner.email}, HTTP_HOST=HOST_B, HTTP_X_FORWARDED_HOST="evil.example")
    assert len(mail.outbox) == 1 and "evil" not in mail.outbox[0].body
    assert f"//{HOST_B}" in mail.outbox[0].body


def test_another_brands_customer_gets_no_reset_mail_here(client, brand_a, brand_b):
    _, owner_a = make_account(brand=brand_a)
    res = client.post("/password-reset/", {"email": owner_a.email}, HTTP_HOST=HOST_B)
    assert res.status_code == 302 and mail.outbox == []

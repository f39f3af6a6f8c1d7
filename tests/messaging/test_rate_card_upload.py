"""Rate cards uploaded as CSV: a diff preview writes nothing; applying writes the added and
changed rows in one go; a file with an invalid row is refused whole."""

import base64
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from messaging.pricing import rate_cards
from messaging.pricing.models import Price
from messaging.pricing.services import save_price

CARD = b"service,iso,country_name,sale_price\nG,GB,United Kingdom,2.9\nG,DE,Germany,6.1\nT,IN,India,0.15\n"


@pytest.fixture
def staff(db):
    user = User.objects.create_user(email="ops@example.com", password="x-long-password-1", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def card(db):
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "3.2"})
    save_price(data={"service": "T", "iso": "IN", "country_name": "India", "sale_price": "0.15"})


def test_the_diff_names_what_changes(card):
    changes = rate_cards.diff(None, rate_cards.read(CARD))
    assert {(c.service, c.iso): c.kind for c in changes} == {
        ("G", "GB"): "changed",
        ("G", "DE"): "added",
        ("T", "IN"): "unchanged",
    }
    gb = next(c for c in changes if c.iso == "GB")
    assert (gb.old_price, gb.new_price) == (Decimal("3.2000"), Decimal("2.9"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"service,iso\nG,GB\n", "missing: sale_price"),
        (b"service,iso,sale_price\n\xff\xfe\n", "not a text file"),
    ],
)
def test_unreadable_files_are_refused(db, content, message):
    with pytest.raises(Exception) as exc:
        rate_cards.read(content)
    assert message in str(exc.value.errors["file"][0])


def test_invalid_rows_are_marked_and_block_the_apply(card):
    content = b"service,iso,sale_price\nG,GB,1\nX,FR,1\nG,ZZ,1\nG,DE,-1\nG,GB,2\n"
    kinds = [(c.line, c.kind, c.error) for c in rate_cards.diff(None, rate_cards.read(content))]
    assert [k[1] for k in kinds] == ["changed", "invalid", "invalid", "invalid", "invalid"]
    assert "Unknown service X" in kinds[1][2] and "ZZ" in kinds[2][2] and "at least 0" in kinds[3][2]
    assert "appears twice" in kinds[4][2]
    with pytest.raises(Exception):  # noqa: B017
        rate_cards.apply(account=None, content=content)
    assert Price.objects.get(account=None, iso="GB").sale_price == Decimal("3.2")  # nothing written


def test_preview_then_apply_from_the_page(staff, card):
    res = staff.post("/staff/pricing/upload/", {"file": SimpleUploadedFile("card.csv", CARD, content_type="text/csv")})
    html = res.content.decode()
    assert res.status_code == 200 and "Rate card preview" in html and "Apply 2 changes" in html
    assert Price.objects.filter(account=None, iso="DE").count() == 0  # a preview writes nothing
    content = re.search(r'name="content" value="([^"]+)"', html).group(1)
    assert base64.b64decode(content) == CARD

    done = staff.post("/staff/pricing/upload/", {"content": content, "apply": "1"}, follow=True)
    assert "Rate card applied: 1 added, 1 changed." in done.content.decode()
    assert Price.objects.get(account=None, iso="GB").sale_price == Decimal("2.9")
    assert Price.objects.get(account=None, iso="DE").sale_price == Decimal("6.1")


def test_an_accounts_own_card(staff, card, account):
    res = staff.post(
        f"/staff/pricing/upload/?account={account.username}",
        {"file": SimpleUploadedFile("c.csv", b"service,iso,sale_price\nG,GB,1.5\n"), "account": account.username},
    )
    content = re.search(r'name="content" value="([^"]+)"', res.content.decode()).group(1)
    staff.post("/staff/pricing/upload/", {"content": content, "apply": "1", "account": account.username})
    assert Price.objects.get(account=account, iso="GB").sale_price == Decimal("1.5")
    assert Price.objects.get(account=None, iso="GB").sale_price == Decimal("3.2")


def test_customers_cannot_upload(user_client):
    res = user_client.post("/staff/pricing/upload/", {"file": SimpleUploadedFile("c.csv", CARD)})
    assert res.status_code in (302, 403)

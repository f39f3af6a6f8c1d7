"""The customer's price list: effective prices (own over default) on enabled products, filtered
by country, channel and service; CSV export; another account's prices never shown."""

from messaging.pricing.services import save_price
from messaging.services.products import set_account_products

HX = {"HTTP_HX_REQUEST": "true"}


def prices(account):
    save_price(data={"service": "T", "iso": "IN", "country_name": "India", "sale_price": "0.15"})
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "3.2"})
    save_price(data={"service": "G", "iso": "DE", "country_name": "Germany", "sale_price": "6.1"})
    save_price(
        account=account, data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "2.5"}
    )


def test_the_list_shows_what_the_account_pays(user_client, account, other_account):
    prices(account)
    save_price(
        account=other_account, data={"service": "G", "iso": "DE", "country_name": "Germany", "sale_price": "0.01"}
    )
    html = user_client.get("/prices/").content.decode()
    assert "United Kingdom" in html and "2.5000 INR" in html and "3.2000" not in html  # own price wins
    assert "6.1000 INR" in html and "0.0100" not in html  # another account's override is not ours
    assert 'data-label="Price per unit"' in html and 'href="/prices/"' in html


def test_filters_by_country_channel_and_service(user_client, account):
    prices(account)
    by_code = user_client.get("/prices/?q=44", **HX).content.decode()
    assert "United Kingdom" in by_code and "Germany" not in by_code
    by_name = user_client.get("/prices/?q=germ", **HX).content.decode()
    assert "Germany" in by_name and "United Kingdom" not in by_name
    assert "India" in user_client.get("/prices/?service=T", **HX).content.decode()
    assert "India" not in user_client.get("/prices/?service=G", **HX).content.decode()
    assert "No prices match" in user_client.get("/prices/?channel=voice", **HX).content.decode()


def test_disabled_services_are_not_listed(user_client, account):
    prices(account)
    set_account_products(account, ["G"])
    html = user_client.get("/prices/", **HX).content.decode()
    assert "India" not in html and "Germany" in html


def test_csv_export(user_client, account):
    prices(account)
    res = user_client.get("/prices/?format=csv&q=GB")
    body = b"".join(res.streaming_content).decode().splitlines()
    assert body[0] == "country,iso,calling_code,channel,service,service_name,price_per_unit,currency"
    assert body[1].startswith("United Kingdom,GB,44,SMS,G,") and body[1].endswith(",2.5000,INR")
    assert len(body) == 2

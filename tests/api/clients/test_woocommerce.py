"""WooCommerce: the "WC – APG SMS Notifications" plugin's MOBtexting case.

Replayed from artprojectgroup/woocommerce-apg-sms-notifications `includes/admin/proveedores.php`
(`apg_sms_envia_sms()`, its `case "mobtexting"`): `add_query_arg()` of `access_token`, `to`,
`service` `T`, `sender` and `message` (`urlencode(html_entity_decode($mensaje))`, so spaces travel
as `+`), then `wp_remote_get()`. The answer is not parsed; with debugging on it is e-mailed to the
shop owner as it came.
"""

from urllib.parse import quote_plus

from tests.api.clients.conftest import OTP, crlf


def test_apg_order_notification_send(replay, sending_setup):
    query = f"access_token={{key}}&to=919876543210&service=T&sender=ACMEIN&message={quote_plus(OTP)}"
    raw = crlf(
        f"GET /api/v2/sms/send?{query} HTTP/1.1\n"
        "Host: portal.example.com\n"
        "User-Agent: WordPress/6.6; https://shop.example.com\n"
        "Accept: */*\n"
        "Accept-Encoding: deflate, gzip, br, zstd\n"
        "Connection: close\n"
        "\n"
    )
    answer = replay(raw)
    assert answer.status == 200
    payload = answer.json()
    assert payload["status"] == 200 and payload["message"] == "1 numbers accepted for delivery."
    assert payload["data"][0]["length"] == len(OTP)  # `+` decoded back to spaces

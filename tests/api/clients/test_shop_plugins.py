"""Shop plugins other than WooCommerce: OpenCart and Magento (the vendor's own modules).

Replayed from (default branch):
- mobtexting/mobtexting-opencart `system/library/mobsms.php`: `getBalance()` is a cURL GET of
  `account/balance?access_token=<key>` reading `data[]` for the item with `service == "T"`
  (`credits`); `send()` is a cURL GET of `sms/send?access_token=…&service=T&to=…&sender=…` with
  `message` twice: first the originator, then the text. Both over `http://`.
- mobtexting/magento `app/code/MOBTEXTING/SMS/Helper/Data.php`: `sendSms()` is
  `file_get_contents(".../api/v2/sms/send?&access_token=…&sender=…&service=…&to=<a,b>&message=…")`
  (every value urlencoded, the list of admin numbers comma-joined) and succeeds when
  `status == 200` (loosely compared).

(mobtexting/magento-sms-2.4 talks to another platform's API, not this one.)
"""

from urllib.parse import quote_plus

from tests.api.clients.conftest import OTP, crlf

CURL_GET_HEADERS = "Host: portal.example.com\nAccept: */*\n\n"
PHP_STREAM_HEADERS = "Host: portal.example.com\nConnection: close\n\n"


def test_opencart_balance_reads_the_transactional_credits(replay, sending_setup):
    answer = replay(crlf("GET /api/v2/account/balance?access_token={key} HTTP/1.1\n" + CURL_GET_HEADERS))
    credits = None
    for item in answer.json()["data"]:
        if item["service"] == "T":
            credits = item["credits"]
    assert answer.status == 200 and credits == 100.0


def test_opencart_send_takes_the_last_of_its_two_message_parameters(replay, sending_setup):
    query = (
        "access_token={key}&service=T&to=919876543210&sender=ACMEIN"
        f"&message={quote_plus('My Store')}&message={quote_plus(OTP)}"
    )
    answer = replay(crlf(f"GET /api/v2/sms/send?{query} HTTP/1.1\n" + CURL_GET_HEADERS))
    payload = answer.json()
    assert answer.status == 200 and payload["status"] == 200
    assert payload["data"][0]["status"] == "AWAITING-DLR" and payload["data"][0]["length"] == len(OTP)
    assert not answer.raw.startswith(b"-")  # `$result[0] < 0` is the plugin's failure test


def test_magento_admin_alert_to_two_numbers(replay, sending_setup):
    query = (
        "&access_token={key}&sender=ACMEIN&service=T"
        f"&to={quote_plus('919876543210,919876543211')}&message={quote_plus(OTP)}"
    )
    answer = replay(crlf(f"GET /api/v2/sms/send?{query} HTTP/1.1\n" + PHP_STREAM_HEADERS))
    payload = answer.json()
    assert payload["status"] == 200  # `$rows['status'] != 200` is the plugin's failure test
    assert payload["message"] == "2 numbers accepted for delivery."

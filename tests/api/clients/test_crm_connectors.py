"""CRM connectors: SuiteCRM, vtiger, Odoo and CiviCRM (the vendor's modules).

Replayed from (default branch):
- mobtexting/mobtexting-suiteCRM `SuiteModules/modules/MOBtexting/sendToSMS.php`, `apiSender()`:
  cURL POST to `sms/send/` (trailing slash) with `CURLOPT_POSTFIELDS` an array, so
  multipart/form-data (`access_token`, `service`, `sender`, `message`, `to`); it follows redirects
  (a 301 would turn the POST into a GET without its body) and treats any non-empty `status` as an
  answer to show. Older commits (e.g. 3dcad20) sent a GET with the text unencoded in the URL.
- mobtexting/mobtexting-sms-module-plugin-for-vtiger `modules/SMSNotifier/providers/MOBTexting.php`:
  `Vtiger_Net_Client::doPost()` to `sms/send/` (form-urlencoded `access_token`, `service`, `sender`,
  `message`, `to`); reads `status` (`'200'` → Sent, `'ERROR'`/`'401'` → error with `message`),
  `data[0]->id` and `data[0]->mobile`. Its `query()` posts to `sms/send//<id>`, which exists nowhere.
- mobtexting/mobtexting-odoo `mobtexting_sms/models/send_sms.py` (and `gateway_setup.py`):
  `requests.post(url=".../sms/send/", params=para)`: every parameter in the query string and an
  empty body; the text is `quote_plus()`ed before requests encodes it again. Reads `status`
  (`== 200` → "Message Send", `== "ERROR"` → `message`).
- mobtexting/mobtexting-civicrm `org.civicrm.sms.mobtexting/org_civicrm_sms_mobtexting.php`,
  `apiSender()`: cURL multipart POST to the configured URL (README: `.../api/v2/sms/send`) with
  `access_token`, `service`, `sender`, `message`, `to`, `name`; reads `status == 200` →
  `data[0]->id` and `message`, `status == "ERROR" and code == 422` → `message`, anything else →
  "Access token value is invalid or empty".

PHP compares loosely: `200 == '200'` holds, and "ERROR" matches only "ERROR".
"""

from urllib.parse import quote, quote_plus

from messaging.pipeline.models import Message
from tests.api.clients.conftest import OTP, crlf

BOUNDARY = "------------------------2d1f1e2f98a152ac"


def curl_multipart(path, fields, user_agent="curl/7.88.1"):
    """A cURL `CURLOPT_POSTFIELDS => array(...)` POST, as libcurl writes it."""
    body = (
        "".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        )
        + f"--{BOUNDARY}--\r\n"
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: portal.example.com\r\nUser-Agent: {user_agent}\r\nAccept: */*\r\n"
        "Accept-Encoding: deflate, gzip, br, zstd\r\nContent-Length: {length}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n"
    )
    return (head + body).encode()


FIELDS = {"access_token": "{key}", "service": "T", "sender": "ACMEIN", "message": OTP, "to": "919876543210"}


def test_suitecrm_posts_multipart_to_the_path_with_a_slash(replay, sending_setup):
    answer = replay(curl_multipart("/api/v2/sms/send/", FIELDS, user_agent=""))
    assert answer.status == 200  # answered in place: no redirect for cURL to follow with a GET
    payload = answer.json()
    assert payload["status"]  # the connector's `!empty($checkResult->status)`
    assert payload["message"] == "1 numbers accepted for delivery."


def vtiger_post(path, fields):
    body = "&".join(f"{name}={quote_plus(value)}" for name, value in fields.items()).replace("%7Bkey%7D", "{key}")
    head = crlf(
        f"POST {path} HTTP/1.1\nHost: portal.example.com\nUser-Agent: HTTP_Request2/2.3.0 (http://pear.php.net/"
        "package/http_request2) PHP/8.1\nContent-Type: application/x-www-form-urlencoded\n"
        "Content-Length: {length}\nConnection: close\n\n"
    )
    return head + body.encode()


def test_vtiger_send_reads_status_id_and_mobile(replay, sending_setup):
    answer = replay(vtiger_post("/api/v2/sms/send/", FIELDS))
    payload = answer.json()
    assert str(payload["status"]) == "200"  # `case '200'`
    assert payload["data"][0]["id"].endswith(":1") and payload["data"][0]["mobile"] == "919876543210"


def test_vtiger_sees_a_refusal_as_error_with_its_message(replay, sending_setup):
    answer = replay(vtiger_post("/api/v2/sms/send/", {**FIELDS, "service": ""}))
    payload = answer.json()
    assert answer.status == 422 and payload["status"] == "ERROR" and payload["message"]  # `case 'ERROR'`


def test_vtiger_status_query_goes_to_a_path_that_does_not_exist(replay, sending_setup):
    # The provider's own bug: `sms/send/` + '/' + id. The answer is the 404 envelope, not HTML.
    answer = replay(vtiger_post("/api/v2/sms/send//abc:1", FIELDS))
    assert answer.status == 404
    assert answer.json() == {"status": "failed", "code": 404, "message": "Not Found."}


def odoo_post(message, sender="AcmeUK", to="447400123456", service="G"):
    # requests encodes the already quote_plus()ed text once more: "+" becomes %2B.
    once = quote_plus(message)
    query = f"access_token={{key}}&service={service}&sender={sender}&message={quote(once, safe='')}&to={to}"
    return crlf(
        f"POST /api/v2/sms/send/?{query} HTTP/1.1\nHost: portal.example.com\nUser-Agent: python-requests/2.34.2\n"
        "Accept-Encoding: gzip, deflate\nAccept: */*\nConnection: keep-alive\nContent-Length: 0\n\n"
    )


def test_odoo_posts_everything_in_the_query_string(replay, sending_setup):
    answer = replay(odoo_post("Hello from Odoo"))
    payload = answer.json()
    assert answer.status == 200 and payload["status"] == 200  # "Message Send"
    # The connector's double encoding reaches the handset: the text is the quote_plus()ed one.
    assert Message.objects.get(batch__uuid=payload["group_id"]).text == "Hello+from+Odoo"


def test_odoo_reads_the_message_of_an_error(replay, sending_setup):
    answer = replay(odoo_post("Hello", sender=""))
    payload = answer.json()
    assert payload["status"] == "ERROR" and payload["message"] == "The sender field is required."


def test_civicrm_send_returns_the_message_id(replay, sending_setup):
    fields = {**FIELDS, "name": "Membership renewal"}
    answer = replay(curl_multipart("/api/v2/sms/send", fields, user_agent="CiviCRM - http://civicrm.org/"))
    payload = answer.json()
    assert payload["status"] == 200
    assert payload["data"][0]["id"] == f"{payload['group_id']}:1" and payload["message"]


def test_civicrm_shows_a_validation_error_as_a_config_error(replay, sending_setup):
    fields = {**FIELDS, "to": ""}
    answer = replay(curl_multipart("/api/v2/sms/send", fields, user_agent="CiviCRM - http://civicrm.org/"))
    payload = answer.json()
    assert (payload["status"], payload["code"]) == ("ERROR", 422) and payload["message"]


def test_civicrm_sees_a_bad_token_as_a_token_error(replay, sending_setup):
    fields = {**FIELDS, "access_token": "not-a-key", "name": "x"}
    answer = replay(curl_multipart("/api/v2/sms/send", fields, user_agent="CiviCRM - http://civicrm.org/"))
    payload = answer.json()
    assert answer.status == 401 and payload["status"] != 200
    assert not (payload["status"] == "ERROR" and payload["code"] == 422)  # so: the token branch

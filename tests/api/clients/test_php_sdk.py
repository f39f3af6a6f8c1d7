"""The vendor's PHP packages: a form POST with the key as a body field.

Replayed from (default branch):
- mobtexting/message-php `src/Client.php`: Guzzle `post($endpoint, ['form_params' => $params])`;
  the parameters are renamed (`from` → `sender`, `text` → `message`, the token → `access_token`),
  which moves those keys to the end of the array, so the body is http_build_query's
  `to=…&sender=…&message=…&access_token=…` (spaces as `+`). `json()` returns the raw body.
- mobtexting/mobtexting-php `src/Client.php` (`$client->messages->send()`): the same client.
- mobtexting/mobtexting-laravel `src/Mobtexting.php`: adds `service` (from the message or
  `services.mobtexting.service`) and `to`; after the renaming the body reads
  `service=…&to=…&sender=…&message=…&access_token=…`. With a username and password the token is
  `username:password`.

What they read: nothing but the body text (the Laravel channel returns the client; failures are
only seen when the app reads `json()`), so the envelope itself is the contract.
"""

from urllib.parse import quote_plus

from tests.api.clients.conftest import OTP, crlf

GUZZLE_HEAD = (
    "POST /api/v2/sms/send HTTP/1.1\n"
    "Host: portal.example.com\n"
    "Content-Length: {length}\n"
    "User-Agent: GuzzleHttp/7\n"
    "Content-Type: application/x-www-form-urlencoded\n"
    "\n"
)


def php_form(**fields):
    """http_build_query(): PHP_QUERY_RFC1738, spaces as `+`."""
    return "&".join(f"{name}={quote_plus(value)}" for name, value in fields.items()).replace("%7Bkey%7D", "{key}")


def test_php_sdk_send(replay, sending_setup):
    body = php_form(to="919876543210", sender="ACMEIN", message=OTP, service="T", access_token="{key}")
    answer = replay(crlf(GUZZLE_HEAD) + body.encode())
    payload = answer.json()
    assert answer.status == 200 and payload["status"] == 200
    assert payload["message"] == "1 numbers accepted for delivery." and payload["data"][0]["status"] == "AWAITING-DLR"


def test_laravel_channel_send(replay, sending_setup):
    body = php_form(service="T", to="919876543210", sender="ACMEIN", message=OTP, access_token="{key}")
    payload = replay(crlf(GUZZLE_HEAD) + body.encode()).json()
    assert payload["status"] == 200 and payload["group_id"]


def test_the_php_readme_example_without_a_service_is_told_what_is_missing(replay, sending_setup):
    # The README sends only `from` and `text`: the answer is the classic send's 422.
    body = php_form(to="919876543210", sender="ACMEIN", message=OTP, access_token="{key}")
    answer = replay(crlf(GUZZLE_HEAD) + body.encode())
    assert answer.status == 422
    payload = answer.json()
    assert payload["status"] == "ERROR" and payload["code"] == 422 and "service" in payload["errors"]


def test_a_username_password_token_is_refused_in_the_envelope(replay, sending_setup):
    body = php_form(to="919876543210", sender="ACMEIN", message=OTP, service="T", access_token="demo:secret")
    answer = replay(crlf(GUZZLE_HEAD) + body.encode())
    assert answer.status == 401
    assert answer.json() == {"status": "ERROR", "code": 401, "message": "Unauthenticated."}

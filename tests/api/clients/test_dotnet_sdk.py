"""The vendor's .NET SDK: a JSON body with the key inside it.

Replayed from mobtexting/mobtexting-dotnet `Sendsms.cs` (default branch): `WebRequest` POST to
`sms/send`, `ContentType = "application/json"`, the body assembled by string concatenation:
`{"access_token":  "<key>" , "message": "<text>" ,"sender" : "<from> " , "to" : "<to>"  ,
"service" : "<service>"} ` — note the space the SDK adds after the sender ID, and the trailing
space after the object.

What it reads: the body text, printed to the console; `GetResponse()` throws on a non-2xx status.
A text with a double quote breaks the SDK's JSON (its own bug): the answer is the 400 envelope.
"""

from tests.api.clients.conftest import OTP, crlf

HEAD = (
    "POST /api/v2/sms/send HTTP/1.1\n"
    "Content-Type: application/json\n"
    "Host: portal.example.com\n"
    "Content-Length: {length}\n"
    "Expect: 100-continue\n"
    "Connection: Keep-Alive\n"
    "\n"
)


def dotnet_body(message, sender="ACMEIN", to="919876543210", service="T"):
    return (
        '{"access_token":  "{key}" , "message": "' + message + '" ,"sender" : "' + sender + ' " , "to" : "'
        + to + '"  , "service" : "' + service + '"} '
    )  # fmt: skip


def test_dotnet_sdk_send(replay, sending_setup):
    answer = replay(crlf(HEAD) + dotnet_body(OTP).encode())
    payload = answer.json()
    assert answer.status == 200 and payload["status"] == 200
    assert payload["message"] == "1 numbers accepted for delivery."
    assert payload["data"][0]["mobile"] == "919876543210"


def test_a_quote_in_the_text_breaks_the_sdk_json_and_gets_the_400_envelope(replay, sending_setup):
    answer = replay(crlf(HEAD) + dotnet_body('Say "hi"').encode())
    assert answer.status == 400
    payload = answer.json()
    assert payload["status"] == "ERROR" and payload["code"] == 400 and payload["message"].startswith("JSON parse error")

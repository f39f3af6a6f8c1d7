def test_me_returns_the_account_in_the_envelope(api_client, account):
    res = api_client.get("/api/v2/auth/me")
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "OK" and body["code"] == 200 and body["message"] == "OK"
    assert body["data"]["username"] == account.username


def test_missing_token_is_401(client, db):
    res = client.get("/api/v2/auth/me")
    assert res.status_code == 401
    assert res.json() == {"status": "failed", "code": 401, "message": "Unauthenticated."}

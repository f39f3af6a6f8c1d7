"""Small helpers shared by the API tests."""

from rest_framework.test import APIClient

UNAUTHENTICATED = {"status": "failed", "code": 401, "message": "Unauthenticated."}
IP_REFUSED = {"status": "failed", "code": 403, "message": "Access from this IP address is not allowed for this token."}


def bearer(token, **kwargs):
    """A client that sends `Authorization: Bearer <token>` on every request."""
    client = APIClient(**kwargs)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'

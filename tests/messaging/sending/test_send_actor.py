"""An API send names its key and the key's holder on the batch and on the debit."""

from accounts.models import LedgerEntry, LedgerKind, Role
from messaging.pipeline.models import Batch
from tests.api.helpers import bearer
from tests.factories import make_key, make_member


def test_an_api_send_records_the_key_and_its_holder(account, sending_setup, django_capture_on_commit_callbacks):
    developer = make_member(account, Role.DEVELOPER)
    key, secret = make_key(account, actor=developer, scopes=["send"])
    body = {"sender": "ACMEIN", "service": "T", "message": "Your OTP is 4821. Do not share it.", "to": "919876543210"}
    with django_capture_on_commit_callbacks(execute=True):
        res = bearer(secret).post("/api/v2/sms/send", body, format="json")
    assert res.status_code == 200, res.json()
    batch = Batch.objects.get(uuid=res.json()["group_id"])
    assert (batch.api_key, batch.created_by) == (key, developer)
    debit = LedgerEntry.objects.get(account=account, kind=LedgerKind.DEBIT)
    assert (debit.api_key, debit.actor) == (key, developer)

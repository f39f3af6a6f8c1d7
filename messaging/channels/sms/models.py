"""A person's own number for test sends from the composer, confirmed with a code sent to it."""

from django.db import models

from portal.core.tenancy import TenantQuerySet


class TestNumber(models.Model):
    """One per member of an account: the number the composer's "Send a test" goes to. It is
    usable once `verified_at` is set, which only the code sent to it sets."""

    __test__ = False  # not a test class, whatever pytest makes of its name

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=16)  # E.164 digits
    code_hash = models.CharField(max_length=64, blank=True)  # HMAC of the code sent; blank once used
    code_sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="uniq_test_number_per_member")]

    def __str__(self):
        return f"{self.number} ({'verified' if self.verified_at else 'unverified'})"

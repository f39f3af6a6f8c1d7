"""The products (what the v2 contract calls services: `T`, `P`, `ENT`, ...) and which each account has."""

from django.db import models


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    RCS = "rcs", "RCS"
    VIBER = "viber", "Viber"
    VOICE = "voice", "Voice"
    NUMBERS = "numbers", "Numbers"


class Product(models.Model):
    """A product code as the v2 contract names it (`T`, `P`, `ENT`, `MKT`, ...)."""

    code = models.CharField(max_length=10, unique=True)
    display_name = models.CharField(max_length=100)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    # Routes that carry Indian DLT traffic need an entity id and a registered template.
    requires_dlt = models.BooleanField(default=False)
    # Promotional traffic is limited to the promotional time window.
    is_promotional = models.BooleanField(default=False)
    # Given to every new account.
    is_standard = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.code} – {self.display_name}"

    def as_api(self):
        """The `service` object of the contract: {"id", "display_name", "name" (the code)}."""
        return {"id": self.pk, "display_name": self.display_name, "name": self.code}


class AccountProduct(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="account_products")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    enabled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "product"], name="uniq_account_product")]

    def __str__(self):
        return f"{self.account_id}: {self.service_id}"

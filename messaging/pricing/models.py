"""Rate cards: a price per unit by service and destination country.

Rows without an account form the platform's default card; an account's own rows override the
default for the same service and country.
"""

from django.db import models


class Price(models.Model):
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="prices"
    )
    product = models.ForeignKey("messaging.Product", on_delete=models.CASCADE, related_name="+")
    iso = models.CharField(max_length=2)
    # A part of the service priced on its own ("" for the service itself): WhatsApp's template
    # categories (WMC marketing, WUC utility, WAA authentication, WSC service conversations).
    sub_service = models.CharField(max_length=10, blank=True, default="")
    country_name = models.CharField(max_length=100)
    calling_code = models.PositiveSmallIntegerField()
    sale_price = models.DecimalField(max_digits=12, decimal_places=4)
    currency = models.CharField(max_length=3, default="INR")
    is_active = models.BooleanField(default=True)
    # Written by a reseller's markup (messaging/pricing/markups.py) from the reseller's own price;
    # rewritten whenever that price or the markup changes. Rows someone set by hand are False.
    derived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["iso", "product__code"]
        constraints = [
            models.UniqueConstraint(fields=["account", "product", "iso", "sub_service"], name="uniq_account_price"),
            models.UniqueConstraint(
                fields=["product", "iso", "sub_service"],
                condition=models.Q(account__isnull=True),
                name="uniq_default_price",
            ),
        ]
        indexes = [models.Index(fields=["account", "product", "iso"])]

    def __str__(self):
        return f"{self.service_id} {self.iso} {self.sale_price} {self.currency}"


class Markup(models.Model):
    """A reseller's markup for one of its customers: a percentage over the reseller's own price,
    for every destination (`iso` "") or, overriding that, for one country."""

    reseller = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    child = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="markups")
    iso = models.CharField(max_length=2, blank=True, default="")
    percent = models.DecimalField(max_digits=7, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["child_id", "iso"]
        constraints = [models.UniqueConstraint(fields=["child", "iso"], name="uniq_markup_child_iso")]
        indexes = [models.Index(fields=["reseller", "child"])]

    def __str__(self):
        return f"{self.child_id} {self.iso or '*'} +{self.percent}%"

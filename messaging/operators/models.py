"""Which mobile operator a number belongs to: number-range prefixes per country (staff edit them
or load them from a CSV) and ported numbers, which override their range's operator. The pipeline
stores the operator on each message when it is accepted (messaging.operators.lookup), so reports
can count and filter by it."""

from django.db import models


class OperatorPrefix(models.Model):
    """Numbers of `iso` starting with `prefix` (E.164 digits, country code included) belong to
    `operator`; the longest matching prefix wins."""

    iso = models.CharField(max_length=2)
    prefix = models.CharField(max_length=15)
    operator = models.CharField(max_length=40)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["iso", "prefix"]
        constraints = [models.UniqueConstraint(fields=["iso", "prefix"], name="uniq_operator_prefix")]

    def __str__(self):
        return f"{self.iso} {self.prefix} {self.operator}"


class PortedNumber(models.Model):
    """A number that moved to another operator than its range's."""

    mobile = models.CharField(max_length=16, unique=True)
    operator = models.CharField(max_length=40)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["mobile"]

    def __str__(self):
        return f"{self.mobile} {self.operator}"

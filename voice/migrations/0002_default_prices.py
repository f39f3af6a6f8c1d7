"""The platform's default voice rate card (per minute, 30 s pulses in India as the catalog's
`pulsing: "30"` example; 60 s elsewhere). Staff and account rows override it."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    ("IN", "India", 91, "0.3000", 30, "INR"),
    ("US", "United States", 1, "0.9000", 60, "INR"),
    ("GB", "United Kingdom", 44, "1.2000", 60, "INR"),
    ("AE", "United Arab Emirates", 971, "4.5000", 60, "INR"),
    ("SG", "Singapore", 65, "1.5000", 60, "INR"),
    ("AU", "Australia", 61, "1.8000", 60, "INR"),
    ("DE", "Germany", 49, "1.4000", 60, "INR"),
]


def load(apps, schema_editor):
    price = apps.get_model("voice", "VoicePrice")
    for iso, name, code, rate, pulse, currency in DEFAULTS:
        price.objects.get_or_create(
            account=None,
            iso=iso,
            service="VOC",
            sub_service="VOI",
            defaults={
                "country_name": name,
                "calling_code": code,
                "rate": Decimal(rate),
                "pulse": pulse,
                "currency": currency,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("voice", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

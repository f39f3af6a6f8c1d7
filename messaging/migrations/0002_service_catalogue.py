"""The product/service catalogue of both brands, as the v2 contract names the codes."""

from django.db import migrations

from messaging.products import PRODUCTS, load_products

def load(apps, schema_editor):
    load_products(apps.get_model("messaging", "Service"))


def unload(apps, schema_editor):
    apps.get_model("messaging", "Service").objects.filter(code__in=[row[0] for row in PRODUCTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]

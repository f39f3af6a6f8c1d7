"""The product model was called Service; renamed (tables and rows kept)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_wallet_product_code"),
        ("messaging", "0002_service_catalogue"),
        ("pricing", "0001_initial"),
        ("senders", "0001_initial"),
        ("sending", "0005_batch_product_message_product_code"),
    ]

    operations = [
        migrations.RenameModel(old_name="Service", new_name="Product"),
        migrations.RemoveConstraint(model_name="accountservice", name="uniq_account_service"),
        migrations.RenameModel(old_name="AccountService", new_name="AccountProduct"),
        migrations.RenameField(model_name="accountproduct", old_name="service", new_name="product"),
        migrations.AlterField(
            model_name="accountproduct",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="account_products", to="accounts.account"
            ),
        ),
        migrations.AlterField(
            model_name="accountproduct",
            name="product",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="messaging.product"
            ),
        ),
        migrations.AddConstraint(
            model_name="accountproduct",
            constraint=models.UniqueConstraint(fields=("account", "product"), name="uniq_account_product"),
        ),
    ]

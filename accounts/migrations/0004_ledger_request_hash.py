from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_api_key_scopes_holder_and_actors")]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="request_hash",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("voice", "0004_vmn_log_message_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="callgroup",
            name="refused",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]

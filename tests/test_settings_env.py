"""Settings read the environment: DATA_DIR, DATABASE_URL, REDIS_URL; a missing secret fails loudly."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'db': db['ENGINE'], 'name': str(db['NAME']),"
    " 'cache': settings.CACHES['default']['BACKEND'], 'broker': settings.CELERY_BROKER_URL,"
    " 'media': str(settings.MEDIA_ROOT)}))"
)


BROKER_PROBE = (
    "import json, django; django.setup(); from portal.celery import app; c = app.conf; "
    "route = lambda name, **o: app.amqp.router.route(o, name)['queue'].name; "
    "print(json.dumps({'url': c.broker_url, 'options': c.broker_transport_options,"
    " 'heartbeat': c.broker_heartbeat, 'acks_late': c.task_acks_late, 'prefetch': c.worker_prefetch_multiplier,"
    " 'reject_on_lost': c.task_reject_on_worker_lost, 'queues': sorted(q.name for q in c.task_queues),"
    " 'webhooks': route('messaging.webhooks.tasks.deliver_webhooks'),"
    " 'other': route('accounts.tasks.expire_invitations'),"
    " 'bulk': route('any.task', queue='sms-bulk')}))"
)


def settings_with(env, probe=PROBE):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "SECRET_KEY", "PYTEST_XDIST_WORKER"}
        and not k.startswith(("CELERY_", "BROKER_", "SIMULATOR_"))
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **env})
    result = subprocess.run([sys.executable, "-c", probe], env=clean, cwd=ROOT, capture_output=True, text=True)
    return result


def test_defaults_live_in_data_dir(tmp_path):
    result = settings_with({"DATA_DIR": str(tmp_path), "SECRET_KEY": "k"})
    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.sqlite3" and values["name"] == str(tmp_path / "portal.sqlite3")
    assert values["cache"].endswith("FileBasedCache") and values["broker"] == "filesystem://"
    assert values["media"] == str(tmp_path / "media")
    assert (tmp_path / "broker" / "queue").is_dir()


def test_database_and_redis_urls_switch_backends(tmp_path):
    result = settings_with(
        {
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": "k",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
        }
    )
    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.postgresql" and values["name"] == "portal"
    assert values["cache"].endswith("RedisCache") and values["broker"] == "redis://127.0.0.1:6379/3"


def test_a_missing_secret_key_fails_loudly(tmp_path):
    result = settings_with({"DATA_DIR": str(tmp_path)})
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_the_secret_key_file_in_data_dir_is_used(tmp_path):
    (tmp_path / "secret_key").write_text("from-file\n")
    result = settings_with({"DATA_DIR": str(tmp_path)})
    assert result.returncode == 0


def broker_settings(tmp_path, **env):
    result = settings_with({"DATA_DIR": str(tmp_path), "SECRET_KEY": "k", **env}, probe=BROKER_PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _same_everywhere(values):
    assert values["acks_late"] and values["reject_on_lost"] and values["prefetch"] == 1
    assert values["queues"] == ["celery", "sms-bulk", "sms-high", "webhooks", "whatsapp-bulk", "whatsapp-high"]
    assert (values["webhooks"], values["other"], values["bulk"]) == ("webhooks", "celery", "sms-bulk")


def test_broker_url_selects_rabbitmq_with_the_same_queues_and_acknowledgements(tmp_path):
    values = broker_settings(tmp_path, BROKER_URL="amqp://guest:guest@127.0.0.1:5672//")
    assert values["url"] == "amqp://guest:guest@127.0.0.1:5672//"
    assert values["options"] == {"confirm_publish": True} and values["heartbeat"] == 60
    _same_everywhere(values)


def test_the_redis_broker_has_a_visibility_timeout_of_30_minutes(tmp_path):
    values = broker_settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
    assert values["url"] == "redis://127.0.0.1:6379/3" and values["options"] == {"visibility_timeout": 1800}
    _same_everywhere(values)
    values = broker_settings(
        tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/4", BROKER_VISIBILITY_TIMEOUT="600", BROKER_KEY_PREFIX="b:"
    )
    assert values["options"] == {"visibility_timeout": 600, "global_keyprefix": "b:"}


def test_a_visibility_timeout_shorter_than_the_receipt_countdown_is_refused(tmp_path):
    result = settings_with(
        {
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": "k",
            "BROKER_URL": "redis://127.0.0.1:6379/3",
            "BROKER_VISIBILITY_TIMEOUT": "60",
            "SIMULATOR_DLR_DELAY": "120",
        }
    )
    assert (
        result.returncode != 0 and "BROKER_VISIBILITY_TIMEOUT must be longer than SIMULATOR_DLR_DELAY" in result.stderr
    )


def test_without_a_broker_url_the_filesystem_transport_is_used(tmp_path):
    values = broker_settings(tmp_path, CELERY_BROKER_URL="")
    assert values["url"] == "filesystem://" and values["options"]["data_folder_in"] == str(
        tmp_path / "broker" / "queue"
    )
    _same_everywhere(values)

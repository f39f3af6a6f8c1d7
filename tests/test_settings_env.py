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


def settings_with(env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "SECRET_KEY", "CELERY_BROKER_URL", "PYTEST_XDIST_WORKER"}
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **env})
    result = subprocess.run([sys.executable, "-c", PROBE], env=clean, cwd=ROOT, capture_output=True, text=True)
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

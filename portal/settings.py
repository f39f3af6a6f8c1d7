"""Settings: every knob comes from the environment; defaults run on a laptop with no server.

Without DATABASE_URL the database is SQLite in DATA_DIR; without a broker URL Celery uses the
filesystem transport in DATA_DIR; without a cache URL the cache is file-based in DATA_DIR (so
rate limits and login throttles are still shared between the web and worker processes).
"""

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or os.environ.get("PORTAL_TESTING") == "1"


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key():
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    if DEBUG or TESTING:
        return "insecure-development-key-not-for-production"
    raise ImproperlyConfigured("SECRET_KEY is not set and DATA_DIR has no secret_key file (make run creates one).")


SECRET_KEY = _secret_key()

# The platform's own host names (Django's host patterns: ".example.com" covers subdomains). Brands'
# domains are allowed dynamically (accounts.brands): BrandMiddleware answers any other host with a
# plain 400 before tenant code runs, so Django's own host check is left open.
PLATFORM_HOSTS = env_list("PLATFORM_HOSTS", env("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver"))
ALLOWED_HOSTS = ["*"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Addresses (or CIDR ranges) of reverse proxies whose X-Forwarded-For is believed.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# Links in e-mails: the configured site URL, else this instance's own port (`make run PORT=8001`
# and `runportal --port` both export PORT), never a fixed 8000 that points at another instance.
PORT = env_int("PORT", 8000)
SITE_URL = env("SITE_URL", f"http://localhost:{PORT}").rstrip("/")
# Engage `tiny` links are `<SHORT_URL_BASE>/<code>`; a short domain points its `/s/` path here.
SHORT_URL_BASE = env("SHORT_URL_BASE", f"{SITE_URL}/s").rstrip("/")
SITE_NAME = env("SITE_NAME", "Portal")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "portal",
    "accounts",
    "accounts.notifications",
    "accounts.brands",
    "messaging",
    "portal.core.events",
    "messaging.senders",
    "messaging.suppressions",
    "messaging.pricing",
    "messaging.operators",
    "messaging.pipeline",
    "messaging.channels.sms",
    "messaging.channels.whatsapp",
    "messaging.webhooks",
    "messaging.links",
    "messaging.reports",
    "voice",
    "contacts",
    "contacts.imports",
]

MIDDLEWARE = [
    "portal.middleware.LargeJsonCompressionMiddleware",  # outermost: compresses the final body
    "portal.middleware.ServerTimingMiddleware",
    "accounts.brands.middleware.BrandMiddleware",  # before anything reads the host or the session
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.MethodOverrideMiddleware",
    "portal.middleware.ApiTrailingSlashMiddleware",
    "portal.middleware.SessionMiddleware",  # page-only middleware: skipped by push (PUSH_PATHS)
    "django.middleware.common.CommonMiddleware",
    "portal.middleware.InputGuardMiddleware",  # before CSRF, which is the first to read a form
    "portal.middleware.CsrfViewMiddleware",
    "portal.middleware.AuthenticationMiddleware",
    "portal.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.AccountMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web and worker processes share the file without
    # "database is locked"; IMMEDIATE transactions take the write lock up front.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhatsApp media customers upload: under MEDIA_ROOT by default; S3-compatible storage with
    # WHATSAPP_MEDIA_STORAGE=storages.backends.s3.S3Storage (django-storages) and its options as
    # JSON in WHATSAPP_MEDIA_STORAGE_OPTIONS ({"bucket_name": …, "endpoint_url": …}).
    "whatsapp_media": {
        "BACKEND": env("WHATSAPP_MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(env("WHATSAPP_MEDIA_STORAGE_OPTIONS", "") or "{}")
        or {"location": str(MEDIA_ROOT / "whatsapp-media"), "base_url": "/media/whatsapp-media/"},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Redis when configured; otherwise a file cache so every local process shares counters.
REDIS_URL = env("REDIS_URL", "")
CACHE_URL = env("CACHE_URL", REDIS_URL)
if TESTING and CACHE_URL.startswith("redis") and os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel test workers each get their own Redis database: tests flush the cache. Suites
    # running side by side keep apart too: REDIS_URL on database 0, 1 or 2 tests on 10-11, 12-13
    # or 14-15; on database 3 to 8 it tests on that database and the next.
    _worker = int(os.environ["PYTEST_XDIST_WORKER"].lstrip("gw") or 0)
    _base = int(urlsplit(CACHE_URL).path.strip("/") or 0)
    _db = 10 + 2 * _base + _worker if _base < 3 else _base + _worker
    CACHE_URL = urlsplit(CACHE_URL)._replace(path=f"/{_db}").geturl()
if CACHE_URL.startswith("redis"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
if TESTING and not CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions and cookies
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
# Browsers treat http://localhost as a secure context, so Secure cookies work in local runs too.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Cookies are host-only (no Domain attribute): a session on one brand's domain never reaches
# another's. Behind TLS they carry the `__Host-` prefix, which browsers hold to exactly that.
if env_bool("BEHIND_TLS_PROXY", False) and SESSION_COOKIE_SECURE:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# Pages carry the CSRF token in the template (forms, and htmx's `hx-headers` on <body>); no script
# reads the cookie, so it can be HttpOnly.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# HSTS on every answer that came over TLS (Django never sends it over plain HTTP, so local runs
# are unaffected); behind a TLS proxy set BEHIND_TLS_PROXY so requests are known to be secure.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Every answer: only the portal's own scripts, styles, images and connections; no inline code,
# no plugins, no framing, forms post only here. htmx runs under it with its indicator styles in
# portal.css (`includeIndicatorStyles: false` in base.html). Empty disables it.
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    ),
)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Brands' custom domains (accounts.brands.domains, docs/brands.md): what their DNS must say,
# which resolver checks it (host:port list; empty = the system resolver), and how long a domain
# may fail its check before it is dropped.
BRAND_DOMAIN_CNAME_TARGET = env("BRAND_DOMAIN_CNAME_TARGET", "domains.localhost").rstrip(".").lower()
BRAND_DOMAIN_ADDRESSES = env_list("BRAND_DOMAIN_ADDRESSES", "127.0.0.1,::1")
BRAND_DOMAIN_TXT_PREFIX = env("BRAND_DOMAIN_TXT_PREFIX", "_domain-verify")
BRAND_DOMAIN_DROP_AFTER_DAYS = env_int("BRAND_DOMAIN_DROP_AFTER_DAYS", 7)
# What a brand's SPF record must include: the platform's sending servers.
BRAND_SPF_INCLUDE = env("BRAND_SPF_INCLUDE", "spf.domains.localhost")
DNS_NAMESERVERS = env_list("DNS_NAMESERVERS")
# How often a process compares its cached brand lookups with the shared version stamp: a change
# made in another process is seen within this many seconds (at once in the process that made it).
BRAND_CACHE_CHECK_SECONDS = float(env("BRAND_CACHE_CHECK_SECONDS", "0" if TESTING else "1"))
DNS_TIMEOUT_SECONDS = float(env("DNS_TIMEOUT_SECONDS", "3"))
# The readiness check's TLS handshake: where to connect (host:port; empty: the domain on 443),
# which CAs to trust (empty: the system's), and how close to expiry a certificate is flagged.
BRAND_TLS_PROBE_ADDRESS = env("BRAND_TLS_PROBE_ADDRESS", "")
BRAND_TLS_CA_FILE = env("BRAND_TLS_CA_FILE", "")
BRAND_TLS_TIMEOUT_SECONDS = float(env("BRAND_TLS_TIMEOUT_SECONDS", "5"))
BRAND_TLS_RENEW_WARN_DAYS = env_int("BRAND_TLS_RENEW_WARN_DAYS", 14)

# Email: SMTP when EMAIL_HOST is set; otherwise each e-mail is a file in DATA_DIR/mail, so the
# console of `make run` stays readable. `EMAIL_BACKEND=console` prints them instead.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Portal <no-reply@localhost>")
EMAIL_BACKENDS = {
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
EMAIL_FILE_PATH = Path(env("EMAIL_FILE_PATH", DATA_DIR / "mail"))
if env("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", "file")
    EMAIL_BACKEND = EMAIL_BACKENDS.get(EMAIL_BACKEND, EMAIL_BACKEND)

# Celery. The broker is RabbitMQ (`amqp://`), Redis (`redis://`) or, with neither, Celery's
# filesystem transport in DATA_DIR (no server; the processes of one machine). docs/scaling.md
# compares the brokers; the settings below behave the same on each.
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or env("BROKER_URL") or REDIS_URL or "filesystem://"
BROKER_SCHEME = CELERY_BROKER_URL.split("://", 1)[0].lower()
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if BROKER_SCHEME == "filesystem":
    _queue_dir = DATA_DIR / "broker" / "queue"
    _control_dir = DATA_DIR / "broker" / "control"
    for _d in (_queue_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_control_dir),
    }
elif BROKER_SCHEME in ("amqp", "amqps", "pyamqp"):
    # Publishing waits for RabbitMQ's confirmation: a task sent is stored (durable queue, persistent
    # message) before `apply_async` returns.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
    # RabbitMQ closes a connection that has been silent for this long and gives its unacknowledged
    # tasks to other workers: a lost worker machine's tasks move on in about a minute. The prefork
    # pool beats from the parent process, so long tasks do not stop the heartbeat (`--pool solo`
    # would: keep it for tests). RabbitMQ's own `consumer_timeout` (30 min by default) bounds
    # how long a task may stay unacknowledged; see BROKER_VISIBILITY_TIMEOUT below for the figure.
    CELERY_BROKER_HEARTBEAT = 60
    # A lost connection hands this worker's unacknowledged tasks to others at once: stop the copies
    # still running here rather than run them twice side by side (the default from Celery 6).
    CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# A worker started before the broker keeps trying to connect instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = TESTING and not env_bool("CELERY_REAL_BROKER", False)
CELERY_TASK_EAGER_PROPAGATES = True
# Queues (one exchange of the same name each, as Celery makes them): urgent sends, bulk sends,
# webhook delivery, and `celery` for everything else (receipts, imports, housekeeping). A worker
# started without `--queues` takes from all four; docs/scaling.md gives each its own workers.
QUEUE_NAMES = ("sms-high", "whatsapp-high", "celery", "webhooks", "sms-bulk", "whatsapp-bulk")  # urgent first
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in QUEUE_NAMES]
CELERY_TASK_ROUTES = {"messaging.webhooks.tasks.*": {"queue": "webhooks"}}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "expire-invitations": {"task": "accounts.tasks.expire_invitations", "schedule": 3600.0},
    "purge-expired-login-challenges": {
        "task": "accounts.tasks.purge_stale_sessions",
        "schedule": 6 * 3600.0,
    },
}

# v2 API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api.permissions.ApiKeyScopePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "portal.api.parsers.FormParser",
        "portal.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.V2Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "portal.api.exceptions.v2_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 1000)
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 15)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 1000)
API_TOKEN_TTL_SECONDS = env_int("API_TOKEN_TTL_SECONDS", 3600)

# Request bodies (docs/api.md "Request limits"; larger answers 413). JSON and form bodies of the
# API, and pages' form fields, up to API_MAX_BODY_BYTES: 100,000 numbers in `to` take 1.3 MB.
# `sms/send/json` carries 100,000 nodes with every field filled: 44 MiB with one-part messages,
# 124 MiB with three-part Unicode ones written as \u escapes (the largest measured).
# Multipart bodies carry files: the largest the portal takes is a 100 MB import, plus its form.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 4 * 1024 * 1024)
SEND_JSON_MAX_BODY_BYTES = env_int("SEND_JSON_MAX_BODY_BYTES", 160 * 1024 * 1024)
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 101 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

SPECTACULAR_SETTINGS = {
    "TITLE": "Portal v2 API",
    # Title and servers are the brand's (accounts.brands.schema); the description names no brand.
    "DESCRIPTION": "Messaging REST API (v2).",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.reference.reference",
        "accounts.brands.schema.brand_schema",
    ],
    "VERSION": "2.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}

# Login throttling: failures per e-mail and per client address inside a window.
LOGIN_FAILURES_PER_USER = env_int("LOGIN_FAILURES_PER_USER", 5)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 20)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
# 2FA code attempts and password-reset requests: the catalogued 3 per 5 minutes.
SENSITIVE_ATTEMPTS = env_int("SENSITIVE_ATTEMPTS", 3)
SENSITIVE_WINDOW_SECONDS = env_int("SENSITIVE_WINDOW_SECONDS", 5 * 60)
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO: the webhook worker makes a thousand a second.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# Sending
PROMO_WINDOW = env("PROMO_WINDOW", "09:00-21:00")  # recipient local time for promotional traffic
REPETITION_WINDOW_MINUTES = env_int("REPETITION_WINDOW_MINUTES", 10)  # same sender+number+text refused
SEND_MAX_RECIPIENTS = env_int("SEND_MAX_RECIPIENTS", 100_000)
# Sends whose writes one web process commits together at most (messaging/pipeline/group_commit.py;
# 1 turns grouping off). Only threaded workers ever have more than one send to group.
SEND_GROUP_COMMIT_MAX = env_int("SEND_GROUP_COMMIT_MAX", 64)
# Recipients per minute per account over every send (messaging/pipeline/budget.py): two full-size
# requests a minute; more is a 429 with Retry-After. 0 turns the budget off.
SEND_RECIPIENTS_PER_MINUTE = env_int("SEND_RECIPIENTS_PER_MINUTE", 200_000)
# JSON answers this large go gzip-compressed to clients that accept it (portal/middleware.py).
JSON_COMPRESS_MIN_BYTES = env_int("JSON_COMPRESS_MIN_BYTES", 64 * 1024)
# The edge server (`manage.py edge`, portal/core/edge, docs/architecture.md): Caddy's TLS `ask`
# and the WhatsApp webhooks, beside gunicorn. By default 80 above the web port, so instances
# started with different PORTs keep apart. A whole request must arrive within
# EDGE_REQUEST_SECONDS; idle keep-alive connections close after EDGE_KEEPALIVE_SECONDS.
EDGE_HOST = env("EDGE_HOST", "127.0.0.1")
EDGE_PORT = env_int("EDGE_PORT", PORT + 80)
EDGE_REQUEST_SECONDS = float(env("EDGE_REQUEST_SECONDS", "10"))
EDGE_KEEPALIVE_SECONDS = float(env("EDGE_KEEPALIVE_SECONDS", "150"))
EDGE_MAX_CONNECTIONS = env_int("EDGE_MAX_CONNECTIONS", 4096)
# WhatsApp Cloud API connector (messaging/channels/whatsapp): requests in flight per process, the
# HTTP timeout, how often a throttled (130429) message is retried; the simulator's address for
# `runportal` and the demo number.
WHATSAPP = {
    "connections": env_int("WHATSAPP_CONNECTIONS", 32),
    "timeout_seconds": float(env("WHATSAPP_TIMEOUT", "10")),
    "throttle_retries": env_int("WHATSAPP_THROTTLE_RETRIES", 5),
    # Per (business number, customer): (limit, seconds) windows that must all hold before a send
    # (messaging/channels/whatsapp/pair_rate.py): Meta's burst of 45 in 6 s, then 1 per 6 s.
    "pair_limits": [(45, 6), (45, 270)],
    "simulator_port": env_int("WHATSAPP_SIMULATOR_PORT", 8790),
    # The simulator signs its webhooks with this; the demo number is configured with it.
    "simulator_app_secret": env("WHATSAPP_SIMULATOR_APP_SECRET", "simulator-app-secret"),
}
SIMULATOR = {
    "delivery_ratio": float(env("SIMULATOR_DELIVERY_RATIO", "0.95")),
    "dlr_delay_seconds": float(env("SIMULATOR_DLR_DELAY", "2")),
    "submit_latency_ms": float(env("SIMULATOR_SUBMIT_LATENCY_MS", "0")),
    "refuse_ratio": float(env("SIMULATOR_REFUSE_RATIO", "0")),
    # `code:STATUS` pairs for undelivered messages, e.g. "001:INVALID-SUB,034:UNDELIV".
    "failures": [tuple(item.split(":", 1)) for item in env_list("SIMULATOR_FAILURES") if ":" in item],
    "seed": env("SIMULATOR_SEED", None),
}
DLR_TIMEOUT_HOURS = env_int("DLR_TIMEOUT_HOURS", 72)
CELERY_BEAT_SCHEDULE.update(
    {
        "release-scheduled-sms": {"task": "messaging.pipeline.tasks.release_scheduled", "schedule": 30.0},
        "sweep-stuck-sms": {"task": "messaging.pipeline.tasks.sweep_stuck", "schedule": 300.0},
        "recheck-brand-domains": {"task": "accounts.brands.tasks.recheck_domains", "schedule": 3600.0},
        # Voice: due retries, calls a worker lost, unsettled final calls (voice/services/sweep.py).
        "sweep-voice": {"task": "voice.sweep", "schedule": 60.0},
    }
)
# Webhooks: delivery worker, retry schedule and safety (docs/webhooks.md).
# Loopback receivers for tests and local development only; private and metadata ranges stay closed.
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", False)
WEBHOOK_TIMEOUT_SECONDS = float(env("WEBHOOK_TIMEOUT_SECONDS", "3"))
# The catalogued schedule: the first try plus two more, 10 s then 100 s apart (x10 each, capped).
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 3)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 10)
WEBHOOK_RETRY_CAP_SECONDS = env_int("WEBHOOK_RETRY_CAP_SECONDS", 100_000)
WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 200)
WEBHOOK_BACKLOG = env_int("WEBHOOK_BACKLOG", 2000)
WEBHOOK_ENDPOINT_CONCURRENCY = env_int("WEBHOOK_ENDPOINT_CONCURRENCY", 32)
WEBHOOK_FAILURE_THRESHOLD = env_int("WEBHOOK_FAILURE_THRESHOLD", 10)
WEBHOOK_RESPONSE_LOG_BYTES = env_int("WEBHOOK_RESPONSE_LOG_BYTES", 2048)
WEBHOOK_WORKER_SECONDS = env_int("WEBHOOK_WORKER_SECONDS", 50)
WEBHOOK_LOG_RETENTION_DAYS = env_int("WEBHOOK_LOG_RETENTION_DAYS", 30)
# Reports (docs/reports.md): receipts may arrive this late, so recent hours are "settling" and
# rebuilt from the messages hourly; a daily check recounts the last days and alerts on a difference.
SETTLING_HOURS = env_int("REPORT_SETTLING_HOURS", 72)
ROLLUP_CHECK_DAYS = env_int("REPORT_ROLLUP_CHECK_DAYS", 7)
CELERY_BEAT_SCHEDULE["settle-report-rollups"] = {"task": "messaging.reports.tasks.settle_recent", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["check-delivery-rates"] = {
    "task": "messaging.reports.tasks.check_delivery_rates",
    "schedule": 3600.0,
}
EXPORT_RETENTION_DAYS = env_int("EXPORT_RETENTION_DAYS", 7)
# Message retention (docs/reports.md, "Retention"): on PostgreSQL the message table is partitioned
# by month; months are created this many ahead, and whole months older than the retention dropped
# (0 keeps everything). Bodies (text and content) may be blanked sooner. Rollups stay.
MESSAGE_PARTITIONS_AHEAD = env_int("MESSAGE_PARTITIONS_AHEAD", 3)
MESSAGE_RETENTION_DAYS = env_int("MESSAGE_RETENTION_DAYS", 0)
MESSAGE_BODY_RETENTION_DAYS = env_int("MESSAGE_BODY_RETENTION_DAYS", 0)
CELERY_BEAT_SCHEDULE["ensure-message-partitions"] = {
    "task": "messaging.pipeline.tasks.ensure_message_partitions",
    "schedule": 6 * 3600.0,
}
CELERY_BEAT_SCHEDULE["apply-message-retention"] = {
    "task": "messaging.pipeline.tasks.apply_message_retention",
    "schedule": 86400.0,
}
CELERY_BEAT_SCHEDULE["purge-report-exports"] = {"task": "messaging.reports.tasks.purge_exports", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["run-scheduled-reports"] = {
    "task": "messaging.reports.tasks.run_scheduled_reports",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["check-report-rollups"] = {"task": "messaging.reports.tasks.check_rollups", "schedule": 86400.0}
CELERY_BEAT_SCHEDULE["purge-webhook-log"] = {"task": "messaging.webhooks.tasks.purge_delivery_log", "schedule": 86400.0}
CELERY_BEAT_SCHEDULE["deliver-webhooks"] = {
    "task": "messaging.webhooks.tasks.deliver_webhooks",
    "schedule": 2.0,
    "options": {"expires": 10},
}
# WhatsApp: the buffered Cloud API webhooks, applied in batches (nudged by the intake too).
CELERY_BEAT_SCHEDULE["apply-whatsapp-intake"] = {
    "task": "whatsapp.apply_intake",
    "schedule": 2.0,
    "options": {"expires": 10},
}
# Messages per second each connector may be handed (a constant rate shared by all workers).
CONNECTOR_RATES = {"default": env_int("CONNECTOR_RATE", 1000), "simulator": env_int("SIMULATOR_RATE", 5000)}
# Share of each connector's rate that bulk traffic may not use: kept for urgent (OTP, push) sends.
CONNECTOR_URGENT_RESERVE = float(env("CONNECTOR_URGENT_RESERVE", "0.2"))

# The Redis broker gives a task a worker has taken but not acknowledged (late acks) to another
# worker once it has been out for `visibility_timeout` seconds. A worker holds a countdown task
# unacknowledged until it runs, and a running task until it returns, so the timeout must outlast the
# longest countdown plus the longest run; more only delays redelivery after a worker machine is lost
# (a warm shutdown or a dead pool process gives tasks back at once). Nothing waits long in the
# broker: scheduled sends wait in the database for beat's release (every 30 s), webhook retries
# (10 s, 100 s, ... up to 100,000 s) in their delivery rows; the one countdown is the simulator's
# receipt, SIMULATOR_DLR_DELAY (2 s). So runs set the figure: a 100,000-message bulk batch goes out
# at the bulk share of its connector's rate (800/s of the default 1,000/s), 125 s when alone on it;
# a million-row contact import took 50-135 s; a webhook run stops claiming after 50 s. 30 minutes
# lets such a batch share its connector with 13 others, and equals RabbitMQ's default
# `consumer_timeout`, so a task may be held as long on either broker. Whatever the broker does, the
# sweeper re-dispatches lost sends after 5 minutes and asks the connector for receipts still missing
# after 10 (docs/sending.md, "Crash recovery"); tests/messaging/pipeline/test_broker_timeouts.py
# checks every countdown and the webhook, receipt-lookup and bulk-batch runs against this figure.
BROKER_VISIBILITY_TIMEOUT = env_int("BROKER_VISIBILITY_TIMEOUT", 30 * 60)
if BROKER_SCHEME in ("redis", "rediss"):
    if SIMULATOR["dlr_delay_seconds"] >= BROKER_VISIBILITY_TIMEOUT:
        raise ImproperlyConfigured(
            "BROKER_VISIBILITY_TIMEOUT must be longer than SIMULATOR_DLR_DELAY: "
            "the receipts would be handed out again before they are due."
        )
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}
    if env("BROKER_KEY_PREFIX"):  # several instances (or test runs) on one Redis database
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env("BROKER_KEY_PREFIX")

# Contact imports: the catalogued 5 MB upload limit; a running job whose heartbeat is older than
# CONTACT_IMPORT_STALE_SECONDS is resumed (or failed after 3 attempts) by the sweeper.
CONTACT_IMPORT_MAX_BYTES = env_int("CONTACT_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
CONTACT_IMPORT_STALE_SECONDS = env_int("CONTACT_IMPORT_STALE_SECONDS", 120)
CELERY_BEAT_SCHEDULE["sweep-contact-imports"] = {
    "task": "contacts.imports.tasks.sweep_contact_imports",
    "schedule": 60.0,
}
# Segment member counts shown on lists are recounted when older than 15 minutes.
CELERY_BEAT_SCHEDULE["refresh-segment-counts"] = {"task": "contacts.tasks.refresh_segment_counts", "schedule": 300.0}

# Outbound fetches of customer URLs (portal/core/outbound.py; imports from a URL, webhook checks):
# every client has a total deadline and a minimum transfer rate over each window of reading, so a
# server that drips a byte now and then is dropped after one window. Downloads run in import jobs,
# never in a web request; 100 MB at the minimum rate would take longer than the deadline, which is
# the point: a file that large must come from a server that sends it at a useful speed.
OUTBOUND_DOWNLOAD_DEADLINE_SECONDS = float(env("OUTBOUND_DOWNLOAD_DEADLINE_SECONDS", "300"))
OUTBOUND_MIN_BYTES_PER_SECOND = env_int("OUTBOUND_MIN_BYTES_PER_SECOND", 32 * 1024)
OUTBOUND_RATE_WINDOW_SECONDS = float(env("OUTBOUND_RATE_WINDOW_SECONDS", "10"))
OUTBOUND_CONNECT_TIMEOUT_SECONDS = float(env("OUTBOUND_CONNECT_TIMEOUT_SECONDS", "5"))
OUTBOUND_READ_TIMEOUT_SECONDS = float(env("OUTBOUND_READ_TIMEOUT_SECONDS", "10"))
# A URL's host is resolved when the import is submitted (a private address is a 422 at once); the
# lookup waits at most this long, so a slow name server cannot hold the request.
OUTBOUND_RESOLVE_TIMEOUT_SECONDS = float(env("OUTBOUND_RESOLVE_TIMEOUT_SECONDS", "3"))
# Imports from loopback URLs: tests and local development only (private ranges stay closed).
IMPORT_URLS_ALLOW_LOOPBACK = env_bool("IMPORT_URLS_ALLOW_LOOPBACK", False)

# Workbooks (portal/core/workbooks.py): an XLSX is a zip; before any reader opens it, its directory
# is read and a workbook is refused when its parts would inflate past WORKBOOK_MAX_UNCOMPRESSED_BYTES
# in total or any part is compressed more than WORKBOOK_MAX_RATIO to 1 (real sheets: 5-30; a
# zip bomb: hundreds to a thousand). Legacy .xls (not compressed, read whole by xlrd) is bounded by
# WORKBOOK_XLS_MAX_BYTES.
WORKBOOK_MAX_UNCOMPRESSED_BYTES = env_int("WORKBOOK_MAX_UNCOMPRESSED_BYTES", 256 * 1024 * 1024)
WORKBOOK_MAX_RATIO = env_int("WORKBOOK_MAX_RATIO", 100)
WORKBOOK_MAX_PARTS = env_int("WORKBOOK_MAX_PARTS", 1000)
# A cell in column ZZZ would make the reader pad its row to 18,278 cells: rows reaching past this
# column are refused (contact imports keep 50 columns' values; suppression imports read one).
WORKBOOK_MAX_COLUMNS = env_int("WORKBOOK_MAX_COLUMNS", 256)
WORKBOOK_XLS_MAX_BYTES = env_int("WORKBOOK_XLS_MAX_BYTES", 20 * 1024 * 1024)

# Voice: the longest call (seconds; credits are reserved for it), and whether `make run` starts the
# SIP media worker (docs/voice.md).
VOICE_BULK_MAX_BODY_BYTES = env_int("VOICE_BULK_MAX_BODY_BYTES", 32 * 1024 * 1024)
VOICE_MAX_CALL_SECONDS = env_int("VOICE_MAX_CALL_SECONDS", 600)
VOICE_SIP_ENABLED = env_bool("VOICE_SIP_ENABLED", False)
VOICE_SIP_CARRIER = env("VOICE_SIP_CARRIER", "127.0.0.1:5070")  # the SIP trunk (host:port) the worker calls
# The trunk's digest credentials (empty user: none sent) and the SIP timers T1/T2 (RFC 3261).
VOICE_SIP_USERNAME = env("VOICE_SIP_USERNAME", "")
VOICE_SIP_PASSWORD = env("VOICE_SIP_PASSWORD", "")
VOICE_SIP_T1 = float(env("VOICE_SIP_T1", "0.5"))
VOICE_SIP_T2 = float(env("VOICE_SIP_T2", "4"))
# `audio` URLs the SIP worker plays: kept this long, and loopback allowed only for tests.
VOICE_AUDIO_URL_CACHE_SECONDS = env_int("VOICE_AUDIO_URL_CACHE_SECONDS", 3600)
VOICE_AUDIO_URLS_ALLOW_LOOPBACK = env_bool("VOICE_AUDIO_URLS_ALLOW_LOOPBACK", False)
# The bearer token the SMS carrier sends with keyword SMS to virtual numbers (empty: route off).
VOICE_VMN_SMS_TOKEN = env("VOICE_VMN_SMS_TOKEN", "")
VOICE_CONFERENCE_NUMBER = env("VOICE_CONFERENCE_NUMBER", "918068280000")

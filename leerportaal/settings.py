"""Leerportaal settings: one module, driven by environment variables (see .env.example).

Without DATABASE_URL / REDIS_URL the embedded servers start (leerportaal.embedded).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from leerportaal import embedded

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# Only ever used in development (DEBUG=true) and by the test run: production must set its own.
DEVELOPMENT_SECRET_KEY = "django-insecure-leerportaal-development-only"  # noqa: S105 (published)
SECRET_KEY = env("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
# Keys anyone can read in this repository: the default above and the one in .env.example.
PUBLISHED_SECRET_KEYS = frozenset({DEVELOPMENT_SECRET_KEY, "change-me-to-a-long-random-string"})
# Commands that only read the code and write files (nothing served, nothing signed) run without
# a key of one's own, so `manage.py makemigrations --check` works on a bare checkout.
KEYLESS_COMMANDS = frozenset(
    {"makemigrations", "makemessages", "compilemessages", "showmigrations", "sqlmigrate", "help"}
)
_KEYLESS = (
    Path(sys.argv[0]).name == "manage.py" and sys.argv[1:2] and sys.argv[1] in KEYLESS_COMMANDS
)
# pytest sets PYTEST_VERSION for its own process and so for the servers a test starts.
if (
    not DEBUG
    and SECRET_KEY in PUBLISHED_SECRET_KEYS
    and not os.environ.get("PYTEST_VERSION")
    and not _KEYLESS
):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set, or set to the published default. With DEBUG=false (production) "
        "set SECRET_KEY to a long random value of your own, e.g. from "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`; for development set "
        "DEBUG=true."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Prometheus (/metrics, leerportaal/metrics.py): answered only with this bearer token; unset, 404.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# Where each process (web, Celery) writes its metrics for /metrics to sum; set before
# prometheus_client is imported. Web and worker in separate containers: a shared volume.
METRICS_DIR = env("PROMETHEUS_MULTIPROC_DIR", default=str(embedded.data_dir() / "metrics"))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR
Path(METRICS_DIR).mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "leerportaal",
    "accounts",
    "leerrekening",
    "ambassadeurs",
]

MIDDLEWARE = [
    # Outermost: counts and times every request, error pages included.
    "leerportaal.metrics.MetricsMiddleware",
    # An id per request in every log line and the X-Request-ID header (leerportaal/logs.py).
    "leerportaal.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.security.MfaRequiredMiddleware",
    "accounts.security.FrozenAccountMiddleware",
    # Audit trail: who changed it, from which page, attached to every tracked change.
    "leerportaal.audit.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "leerportaal.urls"
WSGI_APPLICATION = "leerportaal.wsgi.application"
ASGI_APPLICATION = "leerportaal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Servers: given by URL, or embedded -----------------------------------------------------------

embedded.ensure_environ()

DATABASES = {"default": env.db_url("DATABASE_URL")}
# A unix-socket host arrives percent-encoded in the URL (postgres://user@%2Fpath/db).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_leerportaal")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        # Django's Redis cache, keeping its redis.Redis client (leerportaal/cache.py).
        "BACKEND": "leerportaal.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "leerportaal",
    }
}

# Escrow shards for reservations (see leerrekening/models/ledger.py LedgerAccount.shard). Each
# booking holds its shard's row lock until it commits; with 32 bookings at once, 16 shards left
# about a third of the waiting in PostgreSQL on these locks, 64 shards a tenth (bench/portal.py,
# pg_stat_activity sampled, issue 5).
LEDGER_RESERVATION_SHARDS = env.int("LEDGER_RESERVATION_SHARDS", default=64)

# --- Celery ---------------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL
# The worker logs through LOGGING (JSON with the task id in production), not its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it ran; a worker that dies half way leaves it on the queue.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged task after this many seconds; longer than any task runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Celery's Django fix-up closes the database connection before and after every task unless this
# is set: a new connection per task cost ~4 ms of CPU (py-spy on the worker, issue 5). With it the
# worker keeps connections as CONN_MAX_AGE says, and drops broken or old ones around each task as
# Django does around each request (leerportaal/celery.py); the fix-up still closes them after
# this many tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_TIMEZONE = "Europe/Amsterdam"
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(embedded.data_dir() / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE: dict = {}
# Ledger: expiry notices (90 and 14 days) and ending tranches, daily at 02:00; invariants hourly.
CELERY_BEAT_SCHEDULE["leerrekening-expire-tranches"] = {
    "task": "leerrekening.tasks.tranches_expire",
    "schedule": crontab(hour=2, minute=0),
}
CELERY_BEAT_SCHEDULE["leerrekening-ledger-check"] = {
    "task": "leerrekening.tasks.ledger_check_run",
    "schedule": crontab(minute=17),
}
# Deposits: scheme rules (CAO regelingen) daily at 01:00; every minute, batches confirmed while
# Redis was down (or whose message was lost) are sent again once untouched for this long.
DEPOSIT_BATCH_STALE_SECONDS = env.int("DEPOSIT_BATCH_STALE_SECONDS", default=120)
# Lines per transaction when a batch is applied: the funder's row is locked and updated once each.
DEPOSIT_BATCH_CHUNK_SIZE = env.int("DEPOSIT_BATCH_CHUNK_SIZE", default=5000)
# Worker processes that share one batch (its chunks run side by side); at most the worker's
# concurrency is useful. Measured on 2 cores: 2 apply a 100,000-line batch ~1.6x as fast as 1.
DEPOSIT_BATCH_WORKERS = env.int("DEPOSIT_BATCH_WORKERS", default=2)
CELERY_BEAT_SCHEDULE["leerrekening-deposit-schemes"] = {
    "task": "leerrekening.tasks.deposit_schemes_run",
    "schedule": crontab(hour=1, minute=0),
}
CELERY_BEAT_SCHEDULE["leerrekening-deposit-batches-sweep"] = {
    "task": "leerrekening.tasks.deposit_batches_sweep",
    "schedule": 60,
}
# Notification e-mails whose task never reached Redis (it was down) are sent again.
CELERY_BEAT_SCHEDULE["leerrekening-notification-emails-sweep"] = {
    "task": "leerrekening.tasks.notification_emails_sweep",
    "schedule": 5 * 60,
}
# Withdrawn approvals: reservations released per chunk of bookings; an unfinished job nobody
# touched for this long is sent again (leerrekening/catalogue/withdrawal.py).
APPROVAL_WITHDRAWAL_CHUNK_SIZE = env.int("APPROVAL_WITHDRAWAL_CHUNK_SIZE", default=200)
APPROVAL_WITHDRAWAL_STALE_SECONDS = env.int("APPROVAL_WITHDRAWAL_STALE_SECONDS", default=120)
CELERY_BEAT_SCHEDULE["leerrekening-approval-withdrawals-sweep"] = {
    "task": "leerrekening.tasks.approval_withdrawals_sweep",
    "schedule": 60,
}
# Ambassadors: erase private notes past the retention period; remind of follow-ups due today.
CELERY_BEAT_SCHEDULE["ambassadeurs-erase-expired-notes"] = {
    "task": "ambassadeurs.tasks.erase_expired_notes",
    "schedule": 60 * 60 * 6,
}
CELERY_BEAT_SCHEDULE["ambassadeurs-follow-up-reminders"] = {
    "task": "ambassadeurs.tasks.follow_up_reminders_enqueue",
    "schedule": 60 * 60,
}
# How long an ambassador's private notes are kept, counted from the conversation date.
AMBASSADEURS_NOTES_RETENTION_MONTHS = env.int("AMBASSADEURS_NOTES_RETENTION_MONTHS", default=24)
# Anonymous requests carry no account, so the cap of open requests per worker cannot hold them:
# at most this many per client address per hour (leerportaal/ratelimit.py).
AMBASSADEURS_ANONYMOUS_REQUESTS_PER_HOUR = env.int(
    "AMBASSADEURS_ANONYMOUS_REQUESTS_PER_HOUR", default=10
)

# Bookings: caps against abuse (DESIGN.md "Spending"). A start is declared, and so paid, from the
# course's start date on, never before it (leerrekening.bookings.services.start_declarable_from).
BOOKING_MAX_PENDING_PER_WORKER = env.int("BOOKING_MAX_PENDING_PER_WORKER", default=3)
BOOKING_MAX_PER_COURSE_PER_PERIOD = env.int("BOOKING_MAX_PER_COURSE_PER_PERIOD", default=200)
BOOKING_PERIOD_DAYS = env.int("BOOKING_PERIOD_DAYS", default=7)
# Anomaly signal for coordinators: this week's bookings against the weekly average before it.
BOOKING_ANOMALY_FACTOR = env.int("BOOKING_ANOMALY_FACTOR", default=3)
BOOKING_ANOMALY_MIN_BOOKINGS = env.int("BOOKING_ANOMALY_MIN_BOOKINGS", default=5)

# --- Auth -----------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, loading the signed-in user with one prepared statement
# (accounts/backends.py). Sessions record their backend's path: ones made with the plain
# django/allauth paths before this change sign in again once.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
# django-allauth: login by e-mail, no self-service sign-up, no user enumeration, rate limits
# on failed logins (portal and admin share this login), two-factor by authenticator app (TOTP).
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# An address is usable (login, password reset, notices, booking codes) only once it is verified
# through a link sent to it; a new address replaces the old one only then (issue 16).
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_FORMS = {"reset_password": "accounts.forms.VerifiedResetPasswordForm"}
# The current address hears of every change of address, password or two-step settings, with a
# "dit was ik niet" link (accounts/takeover.py).
ACCOUNT_EMAIL_NOTIFICATIONS = True
# A stolen session cannot take the account over: changing the address, password, two-step
# settings, API keys or payout details asks for the password (or a second factor) again.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("ACCOUNT_REAUTHENTICATION_TIMEOUT", default=300)
# How long the "dit was ik niet" link in a change notice works.
ACCOUNT_FREEZE_LINK_MAX_AGE = env.int("ACCOUNT_FREEZE_LINK_MAX_AGE", default=14 * 24 * 3600)
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
# Proxies of our own in front of the app (e.g. a TLS proxy: 1). The client address is then taken
# from X-Forwarded-For, counted from the right; with 0 the header is ignored (REMOTE_ADDR).
# Login rate limits (allauth), API throttles (DRF) and our own caps use it alike
# (leerportaal/client_address.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "reset_password": "20/m/ip,5/m/key",
}
# Second factor: an authenticator app (TOTP) or a passkey (WebAuthn, via the fido2 package that
# allauth[mfa] brings); required for staff roles (accounts/security.py), optional for others.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "Leerportaal"
# Browsers allow passkeys only on https, or on http://localhost in development.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)

# --- Language: Dutch first, English second --------------------------------------------------------

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env("MEDIA_ROOT", default=str(embedded.data_dir() / "media"))
# Files only a view may serve (a provider's proof of its quality marks): never under MEDIA_ROOT
# or STATIC_ROOT (leerportaal/storage.py).
PRIVATE_MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT", default=str(embedded.data_dir() / "private"))
# A provider's new IBAN gets no payouts for this many days (leerrekening/providers/services.py).
PROVIDER_IBAN_COOLING_OFF_DAYS = env.int("PROVIDER_IBAN_COOLING_OFF_DAYS", default=14)
# A colleague's invitation link expires after this many days.
PROVIDER_INVITATION_DAYS = env.int("PROVIDER_INVITATION_DAYS", default=7)
# Tries of /opleider/aanmelden/ per client address and hour (no bulk probing of KvK numbers).
PROVIDER_REGISTRATIONS_PER_HOUR = env.int("PROVIDER_REGISTRATIONS_PER_HOUR", default=20)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Leerportaal <noreply@leerportaal.nl>")
# The public address of the portal: links and footers in e-mails (leerportaal/mail.py).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "leerportaal.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "leerportaal.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "leerportaal.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    # Every call is throttled (leerportaal/api/throttling.py): per API key, per person, per
    # address; over the rate a 429 with Retry-After. Counted in the default cache (Redis).
    "DEFAULT_THROTTLE_CLASSES": [
        "leerportaal.api.throttling.ApiKeyRateThrottle",
        "leerportaal.api.throttling.UserRateThrottle",
        "leerportaal.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_key": env("API_THROTTLE_API_KEY", default="1200/min"),
        "user": env("API_THROTTLE_USER", default="300/min"),
        "anon": env("API_THROTTLE_ANON", default="60/min"),
    },
    # The client address behind our own proxies only (see TRUSTED_PROXY_COUNT).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Leerportaal API",
    "DESCRIPTION": "The learning-account portal's API. Calls that move money need an "
    "Idempotency-Key header. Errors are JSON with a stable `code`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "EXTENSIONS_INFO": {},
    # The error shape and every stable error code (components Error and ErrorCode).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "leerportaal.api.schema.error_components",
    ],
}

# Content Security Policy: scripts only from us (an inline script needs the request's nonce),
# nothing framed, forms post only to us. Inline style attributes are allowed for the bar charts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Production hardening (check --deploy is clean with DEBUG=False) ------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from Redis (the cache) and kept in PostgreSQL too: a signed-in page costs no
# database query for the session, a Redis restart signs nobody out, and with Redis down the
# database answers (leerportaal/sessions.py).
SESSION_ENGINE = "leerportaal.sessions"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Logs: JSON lines with the request id in production, readable lines in development; e-mail
# addresses masked in both (leerportaal/logs.py).
LOG_FORMAT = env("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "leerportaal.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "leerportaal.logs.JsonFormatter"},
        "plain": {"()": "leerportaal.logs.PlainFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}},
}

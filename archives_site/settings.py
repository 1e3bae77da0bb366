"""Settings, all read from the environment (12-factor).

Embedded default (``make run``): ``DEBUG=1``, SQLite under ``var/``, no broker so Celery runs
eagerly, a local secret key generated once into ``var/secret_key``.
Production: ``DEBUG`` off, ``SECRET_KEY`` required (no default), ``DATABASE_URL`` and
``REDIS_URL`` pointing at PostgreSQL 15 and Redis 7.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)  # optional, never committed

DEBUG = env.bool("DEBUG", default=False)
# The installation's name: navbar brand, page titles, export file names (the demo: 青溪区档案馆).
SITE_NAME = env.str("SITE_NAME", default="县档案馆")


def _secret(name: str, filename: str, *, min_length: int = 0) -> str:
    """A secret from the environment; production has no default. A trial (DEBUG=1) generates
    one once into var/ (git-ignored)."""
    key = env.str(name, default="")
    if key:
        if len(key) < min_length:
            raise ImproperlyConfigured(f"{name} is too short: use at least {min_length} random characters.")
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} is not set. Production settings have no default secret; "
            f"set {name} in the environment (or DEBUG=1 for a local trial)."
        )
    path = VAR_DIR / filename
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret("SECRET_KEY", "secret_key")
# Keys the audit chain's HMAC (archives_site.audit). Separate from SECRET_KEY: rotating the session
# secret must not break the chain, and whoever reads the database cannot recompute the hashes.
AUDIT_HMAC_KEY = _secret("AUDIT_HMAC_KEY", "audit_hmac_key", min_length=32)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "guardian",
    "django_celery_beat",
    "csp",
    "archives_site",
    "villages",
    "holdings",
    "lookup",
    "inspections",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "archives_site.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "archives_site.middleware.SessionRenewalMiddleware",
    "archives_site.middleware.LanguageMiddleware",
    "archives_site.middleware.ApiErrorMiddleware",
    "archives_site.errors.FriendlyErrorsMiddleware",  # trial mode: the site's error pages, not Django's
    "archives_site.middleware.NulCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "villages.middleware.AccountMiddleware",  # service accounts: API only; a chosen password is changed first
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "archives_site.urls"
# Error pages (archives_site.errors): Chinese, in the site layout, in trial mode too; a developer
# who wants Django's technical pages with DEBUG=1 sets TECHNICAL_ERROR_PAGES=1.
TECHNICAL_ERROR_PAGES = DEBUG and env.bool("TECHNICAL_ERROR_PAGES", default=False)
CSRF_FAILURE_VIEW = "archives_site.errors.csrf_failure"
WSGI_APPLICATION = "archives_site.wsgi.application"

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
                "archives_site.context_processors.site",
                "archives_site.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# A persistent connection is checked before reuse: after a database restart the first request of
# each worker would otherwise answer 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
else:
    # Page queries are short: JIT compilation (tens of ms, triggered by the cost estimates of
    # large tables) would cost more than it saves. Long batch statements may SET LOCAL jit = on.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    if env.bool("DATABASE_ALLOW_AUDIT_TRUNCATE", default=False):
        # Test runs only: Django flushes the test database with TRUNCATE between transactional
        # tests, which the audit tables' trigger otherwise refuses (migration 0005).
        DATABASES["default"]["OPTIONS"]["options"] += " -c archives.allow_audit_truncate=on"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Falls back to process-local memory while Redis is down (logins keep working).
            "BACKEND": "archives_site.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="archives"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
# No broker configured -> tasks run in-process (embedded trial mode).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="default")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic work; beat's DatabaseScheduler copies these entries into its tables when it starts.
CELERY_BEAT_SCHEDULE = {
    "audit-verify-nightly": {
        "task": "archives_site.tasks.audit_verify_nightly",
        "schedule": crontab(hour=2, minute=30),  # CELERY_TIMEZONE
        "options": {"queue": "fixity"},
    },
    "page-derivatives-sweep": {
        "task": "holdings.tasks.page_derivatives_sweep",
        "schedule": crontab(minute=17),
        "options": {"queue": "ingest"},
    },
    # From 1 October: is next year's working-day calendar known? (archives_site.workdays)
    "workday-calendar-check": {
        "task": "archives_site.workday_calendar_check",
        "schedule": crontab(hour=7, minute=5),
        "options": {"queue": "default"},
    },
}
CELERY_TIMEZONE = "Asia/Shanghai"

# --- Auth, security ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous reaches nothing
GUARDIAN_RAISE_403 = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed-login throttle (archives_site.login_throttle), each count within the window:
# failures of one username from one address; of one account from any address (a per-account
# lock against guessing from many addresses); distinct usernames failed from one address.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=20)
LOGIN_ADDRESS_USERNAME_LIMIT = env.int("LOGIN_ADDRESS_USERNAME_LIMIT", default=20)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)

# API tokens (archives_site.tokens) expire this long after they are issued.
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=720)
# A session ends after this many minutes without a request. A request renews it
# (archives_site.middleware.SessionRenewalMiddleware), writing the session at most once per
# SESSION_RENEW_SECONDS: the idle limit is then between SESSION_IDLE_MINUTES minus that and
# SESSION_IDLE_MINUTES, never longer. (SESSION_SAVE_EVERY_REQUEST wrote and committed the
# session row on every page.)
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_RENEW_SECONDS = 60

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS (set these when the site is served over TLS; `manage.py check --deploy` expects them).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_REFERRER_POLICY = "same-origin"
# Browser features (archives_site.security): the camera for filing from a phone, nothing else.
PERMISSIONS_POLICY = {
    "camera": ["self"],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "accelerometer": [],
    "gyroscope": [],
    "magnetometer": [],
}
# Content-Security-Policy (django-csp): no inline scripts, styles or event handlers anywhere;
# data: images only for Bootstrap's inline SVG icons in its stylesheet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Limits -----------------------------------------------------------------------------------
# A request body held in memory (form fields, JSON); file uploads stream to disk beyond it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# The most rows one export of the audit log writes (a larger selection is refused: narrow it).
AUDIT_EXPORT_MAX_ROWS = env.int("AUDIT_EXPORT_MAX_ROWS", default=100_000)
# The largest spreadsheet the import accepts (bytes).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None

# --- Language, time ---------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Page images (holdings.pages): per-file and per-request caps, and the derivatives' longest edge.
PAGE_UPLOAD_MAX_BYTES = env.int("PAGE_UPLOAD_MAX_BYTES", default=30 * 1024 * 1024)
PAGE_UPLOAD_MAX_FILES = env.int("PAGE_UPLOAD_MAX_FILES", default=60)
PAGE_REFERENCE_EDGE = env.int("PAGE_REFERENCE_EDGE", default=1600)
PAGE_THUMBNAIL_EDGE = env.int("PAGE_THUMBNAIL_EDGE", default=320)

# Archive rooms: the climate a paper storeroom should keep (JGJ 25: 14–24 °C, 45–60 % RH);
# a reading outside either range is an excursion. Logger files imported at most this big.
CLIMATE_TEMPERATURE_RANGE = (
    env.float("CLIMATE_TEMPERATURE_MIN", default=14.0),
    env.float("CLIMATE_TEMPERATURE_MAX", default=24.0),
)
CLIMATE_HUMIDITY_RANGE = (
    env.float("CLIMATE_HUMIDITY_MIN", default=45.0),
    env.float("CLIMATE_HUMIDITY_MAX", default=60.0),
)
CLIMATE_IMPORT_MAX_BYTES = env.int("CLIMATE_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
CLIMATE_IMPORT_MAX_ROWS = env.int("CLIMATE_IMPORT_MAX_ROWS", default=100_000)
# Open records pushed down to a village or township (推送): at most this many in one push.
PUSH_MAX_ITEMS = env.int("PUSH_MAX_ITEMS", default=20_000)
# Production serves hashed, compressed files collected by `collectstatic`; a trial and the tests
# serve straight from static/.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "archives_site.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "archives_site.api.parsers.JSONParser",  # refuses bodies nested too deep (400, not 500)
        "rest_framework.parsers.FormParser",
        "archives_site.api.parsers.MultiPartParser",  # says what is wrong in the client's language
    ],
    "DEFAULT_PAGINATION_CLASS": "archives_site.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "archives_site.api.errors.AutoSchema",  # declares the error responses
    "EXCEPTION_HANDLER": "archives_site.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if not DEBUG:
    # No browsable API in production: its forms list related objects and it renders any error.
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
SPECTACULAR_SETTINGS = {
    "TITLE": "County Archives API",
    "DESCRIPTION": "REST API of the county archives system (区/县档案馆). Token auth: "
    "POST /api/v1/auth/token/ with username and password, then send `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ImportStatusEnum": "holdings.models.ImportStatus",
        "RecordStatusEnum": "holdings.models.RecordStatus",
    },
}

# --- Catalogue rules (local rules are settings, DESIGN: keep them as data) -------------------
# 年度 of a record: from this year (old land deeds, 民国 records) up to this year plus the margin.
CATALOGUE_YEAR_MIN = env.int("CATALOGUE_YEAR_MIN", default=1500)
CATALOGUE_YEARS_AHEAD = env.int("CATALOGUE_YEARS_AHEAD", default=0)

# --- Dashboard --------------------------------------------------------------------------------
# Each app contributes panels to the home dashboard, shown in this order; a panel is a callable
# (request) -> archives_site.dashboard.Panel | None (the contract is in that module).
DASHBOARD_PANELS = [
    "villages.dashboard.guide_panel",
    "holdings.dashboard.completeness_panel",
    "holdings.dashboard.filing_panel",
    "holdings.dashboard.review_panel",
    "holdings.dashboard.jobs_panel",
    "archives_site.dashboard.audit_panel",
    "archives_site.dashboard.calendar_panel",
    "holdings.dashboard.units_panel",
    "villages.dashboard.people_panel",
    "villages.dashboard.network_panel",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"error_reference": {"()": "archives_site.errors.ErrorReferenceFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # A server error's log line names the reference its page showed the user.
    "loggers": {"django.request": {"filters": ["error_reference"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Verbose names for the admin site header.
ADMIN_SITE_HEADER = _("County archives administration")

# SQLite (trial mode only) cannot enforce "NULLS NOT DISTINCT" (W047) nor carry non-key columns in
# an index (W040: the covering scope indexes of search are plain indexes there); PostgreSQL does.
SILENCED_SYSTEM_CHECKS = ["models.W047", "models.W040"]

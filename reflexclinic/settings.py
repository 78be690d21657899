"""ReflexClinic settings.

Everything comes from the environment, with defaults that let `make run` work on a
fresh machine: a SQLite file and a filesystem Celery broker under var/, emails
written to var/mail/. Production sets DATABASE_URL, REDIS_URL, EMAIL_URL and a
real SECRET_KEY; with DEBUG off there is no default secret.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Named here, created where it is used (the Makefile, Celery's setup in celery.py, the
# file email backend): importing the settings writes nothing.
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base for links in emails (password reset, the routine and check-in links).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    # Two-factor sign-in (accounts/twofactor.py): authenticator apps and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "charts",
    "accounts",
    "outbox",
    "clients",
    "appointments",
    "booking",
    "sessions.apps.TreatmentSessionsConfig",
    "routines",
    "intake",
    # Medical permission: the GP letter and the reply (docs/domain.md, rule 16).
    "permission",
    "reports",
    "auditlog",
    "audit",
    "audit_pages",
    "attention",
    "privacy",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the signed-in user is the actor of the audit rows a request writes.
    "audit.actor.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-in rules (accounts/middleware.py): idle sign-out first, then the owed second
    # factor; no-store on every page the app renders (most show client data).
    "accounts.middleware.NoStoreMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "reflexclinic.urls"

# The audit trail (audit/models.py): django-auditlog writing our AuditEntry, which carries the
# clinic and client of each row. Changes are stored as JSON [before, after] per field.
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_STORE_JSON_CHANGES = True
# auditlog's own migrations would create its LogEntry table even though AuditEntry replaces
# it, and a table Django does not know about breaks `flush` on PostgreSQL: no migrations for it.
MIGRATION_MODULES = {"auditlog": None}

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
            ],
        },
    },
]

WSGI_APPLICATION = "reflexclinic.wsgi.application"
ASGI_APPLICATION = "reflexclinic.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'reflexclinic.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, the worker and beat share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # PostgreSQL's JIT compiles the report queries for seconds to save milliseconds (their
    # cost estimates are large); no query here gains from it. `?options=` in DATABASE_URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # Persistent connections (issue 13): a process keeps its connection for up to this many
    # seconds instead of opening one per request (a third of a light page's time), checked
    # before a request reuses it, so one cut by a database restart is replaced, not failed
    # on. gunicorn's sync workers serve one request at a time: one connection each, no pool
    # needed. Celery's workers close theirs around every task (Celery's Django fixup).
    # 0 opens one per request, as before.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.ClinicBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# "Forgot your password?" (accounts.views.PasswordResetView): requests counted in the
# cache, per email address and per client address, within a window.
PASSWORD_RESET_LIMIT_PER_EMAIL = env.int("PASSWORD_RESET_LIMIT_PER_EMAIL", default=3)
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=20)
PASSWORD_RESET_LIMIT_WINDOW_SECONDS = env.int("PASSWORD_RESET_LIMIT_WINDOW_SECONDS", default=3600)
# Online booking's details form (booking/public_views.py): attempts per email typed and per
# client address in the window, counted in the same cache.
BOOKING_LIMIT_PER_EMAIL = env.int("BOOKING_LIMIT_PER_EMAIL", default=5)
BOOKING_LIMIT_PER_ADDRESS = env.int("BOOKING_LIMIT_PER_ADDRESS", default=20)
BOOKING_LIMIT_WINDOW_SECONDS = env.int("BOOKING_LIMIT_WINDOW_SECONDS", default=3600)
# The name authenticator apps show next to the codes (accounts/twofactor.py).
OTP_TOTP_ISSUER = "ReflexClinic"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: EMAIL_URL in django-environ's form (smtp://user:pass@host:25, smtp+tls://...).
# Without it, every email is one .eml file under var/mail/ (reflexclinic/email_files.py),
# which any mail program opens as the client would see it.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_MESSAGE_ID_DOMAIN = env.str("EMAIL_MESSAGE_ID_DOMAIN", default="reflexclinic.local")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ReflexClinic <no-reply@reflexclinic.local>")
# Delivery of every email (outbox/dispatch.py, outbox/mailer.py):
# ids per send task (one SMTP connection each), retries with exponential backoff from
# BASE up to CAP seconds, failed after MAX_ATTEMPTS; a row claimed longer than
# STUCK_AFTER seconds ago belonged to a worker that died and is pending again.
DELIVERY_BATCH_SIZE = env.int("DELIVERY_BATCH_SIZE", default=100)
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=8)
DELIVERY_RETRY_BASE_SECONDS = env.int("DELIVERY_RETRY_BASE_SECONDS", default=60)
DELIVERY_RETRY_CAP_SECONDS = env.int("DELIVERY_RETRY_CAP_SECONDS", default=3600)
DELIVERY_STUCK_AFTER_SECONDS = env.int("DELIVERY_STUCK_AFTER_SECONDS", default=300)
# A queued row is not queued again for this long (outbox/dispatch.py): time enough for its
# task to wait in the queue and run; a lost task's rows are queued again after it.
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=300)
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "reflexclinic.email_files.EmlFileBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Celery: REDIS_URL in production; by default a filesystem broker under var/ so the
# worker and beat really run with no server to install.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # reflexclinic/celery.py creates these folders when Celery is configured.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A minute; the production smoke test shortens it.
DISPATCH_INTERVAL_SECONDS = env.float("DISPATCH_INTERVAL_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeat": {"task": "accounts.tasks.heartbeat", "schedule": 60.0},
    # Every minute; a tick that waited longer than that in the queue is stale, the next one does its work.
    "dispatch-due-routines": {
        "task": "routines.tasks.dispatch_due_routines",
        "schedule": DISPATCH_INTERVAL_SECONDS,
        "options": {"expires": DISPATCH_INTERVAL_SECONDS * 5 / 6},
    },
    # Online booking: holds nobody confirmed are forgotten a day after they lapse.
    "forget-lapsed-booking-holds": {"task": "booking.tasks.forget_lapsed_holds", "schedule": 3600.0},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# Clinic data exports (zips of every table) are written here and downloaded by the owner.
PRIVACY_EXPORT_DIR = Path(env.str("PRIVACY_EXPORT_DIR", default=str(VAR_DIR / "exports")))

# --- Production (issue 11, part 3): HTTPS, static files, caches, logs, health -----------------
# One block, so the settings other changes touch stay apart. The production command lines
# (bin/web, bin/worker, bin/beat) run these settings with DEBUG off; `manage.py check
# --deploy` then prints nothing (tests/test_production.py). Every value has an
# environment variable; README "Running in production" lists them.

# HTTPS. TLS ends at a reverse proxy in front of gunicorn: BEHIND_PROXY=true trusts its
# X-Forwarded-Proto header, so Django knows the request came over HTTPS (and does not
# redirect forever). Only set it when a proxy always sets or overwrites that header.
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and container health checks call /health/ over plain HTTP from inside.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
# A year of HSTS, for subdomains too, with the preload flag: what `check --deploy` asks for.
# A site that still serves a subdomain over plain HTTP sets SECURE_HSTS_INCLUDE_SUBDOMAINS=false.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

# Static files served by the app itself (WhiteNoise), no separate web server needed. With
# DEBUG off they are collected (bin/build) under content-hashed names with gzip copies,
# and served with far-future cache headers; with DEBUG on (make run, tests) as they are.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
# With DEBUG on nothing is collected: WhiteNoise looks files up as they are asked for.
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "reflexclinic.storage.StaticFilesStorage"
    },
}

# The cache holds beat's last dispatch tick for /health/ (reflexclinic/health.py), shared by
# the web processes and the workers: Redis in production, files under var/ otherwise.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}
    }
# Seconds each broker and worker check may wait; beat's tick older than this is unhealthy.
HEALTH_TIMEOUT = env.float("HEALTH_TIMEOUT", default=1.0)
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=300)

# Logs: one line per request (RequestLogMiddleware, first so it times everything) and per
# Celery task (signals in reflexclinic/logs.py), JSON with DEBUG off, key=value with it on.
# Celery's own per-task lines are quietened, and the worker leaves logging to these settings.
MIDDLEWARE.insert(0, "reflexclinic.logs.RequestLogMiddleware")
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "reflexclinic.logs.JsonFormatter"},
        "text": {
            "()": "reflexclinic.logs.KeyValueFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
    },
}

# --- Safety (issue 11): Content-Security-Policy and login lockout ---------------------------
# A strict policy on every page: scripts and styles only from our own static files (no
# inline <script>, <style>, style="" or on*= anywhere in the templates), pictures from
# ourselves or data: URLs (Bootstrap's icons), nothing framed from or by anyone else. The
# email preview's HTML (routines.views.routine_preview_html) sets its own, stricter policy;
# the middleware leaves a policy a view set alone.
from datetime import timedelta  # noqa: E402

from csp.constants import NONE, SELF  # noqa: E402

MIDDLEWARE += ["csp.middleware.CSPMiddleware"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# Failed logins are counted per username and per client address (django-axes), in the
# database: every web process sees the same counts, they survive a restart, and the
# owner's staff page lists the clinic's locked accounts from the same table (a Redis cache
# would also be shared, but is optional here and cannot be listed by clinic). A lock lifts
# itself after AXES_COOLOFF_TIME, or sooner when an owner unlocks the account. The message
# is the same whether or not the username exists (accounts.lockout).
INSTALLED_APPS += ["axes"]
# Last, as django-axes requires: it turns a lockout raised during login into our page.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend", *AUTHENTICATION_BACKENDS]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Either criterion locks: one account from anywhere, or one address trying any account.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# The demo logins' password is public and printed on the login page: locking them would
# only let anyone shut the demo for everyone. They are refused anyway with DEBUG off.
AXES_WHITELIST_CALLABLE = "accounts.lockout.is_demo_login"
# The client address is REMOTE_ADDR. Behind a reverse proxy, set AXES_IPWARE_PROXY_COUNT and
# AXES_IPWARE_META_PRECEDENCE_ORDER (django-axes docs), or every visitor shares the proxy's.
AXES_VERBOSE = False

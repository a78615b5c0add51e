"""Settings shared by every environment; development defaults live here.

No secrets: the SECRET_KEY default is a throwaway that production.py refuses.
Without DATABASE_URL the app falls back to SQLite, and without REDIS_URL Celery
uses kombu's filesystem transport, so ``make run`` works on a bare machine.
"""

from datetime import timedelta

from config.env import BASE_DIR, env, replica_database, tune_postgresql
from config.settings.storage import FILESYSTEM, media_storage

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="django-insecure-development-only-never-in-production"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

VAR_DIR = BASE_DIR / "var"

INSTALLED_APPS = [
    # The Django admin, on a site that requires staff to have signed in with TOTP.
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "core",
    "accounts",
    "licensing",
    "marketplace",
    "payments",
    "payments.sandbox",
    "dashboard",
    "demo",
    "agents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.RetryAfterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.locale.FormatLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffSecondFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.QueryControlCharactersMiddleware",
    "core.middleware.CacheUnavailableMiddleware",
    # Last, so that only the view (never another middleware) may read the replica.
    "core.replicas.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.web.context_processors.navigation",
                "payments.sandbox.context_processors.test_mode",
            ],
        },
    },
]

if "DATABASE_URL" not in env.ENVIRON:
    # The newcomer's SQLite fallback lives in var/; a bare `manage.py migrate` on a fresh
    # clone must find the folder. (Production sets DATABASE_URL and writes nothing here.)
    VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": tune_postgresql(
        env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A read replica (README, "Read replicas"): the catalog, the feed and the public pages
# read from it, except for a reader who wrote in the last REPLICA_STICKY_SECONDS (longer
# than the worst lag expected); everything else reads and writes the primary.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = replica_database(DATABASES["default"])
DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"]
REPLICA_READS = "replica" in DATABASES
REPLICA_STICKY_SECONDS = env.int("REPLICA_STICKY_SECONDS", default=10)

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cocreate",
        }
    }
else:
    # A file cache is shared by the web process and the worker, unlike locmem.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Sessions in the database unless SESSION_ENGINE names another engine (production keeps
# them in the cache, production.py; bench/api_latency.py does as production does).
SESSION_ENGINE = env("SESSION_ENGINE", default="django.contrib.sessions.backends.db")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login, verified before first log-in.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Cocreate"

# Abuse limits (README "Security"). Each is "N/period" (s, m, h, d; "5/10m" is five per
# ten minutes), counted per signed-in user (per address when anonymous) in the cache.
# The studio and the API share one counter per action.
RATE_LIMITS = {
    "generate": env("RATE_LIMIT_GENERATE", default="30/h"),
    "screen": env("RATE_LIMIT_SCREEN", default="120/m"),
    "token": env("RATE_LIMIT_TOKEN", default="20/m"),
}
# django-allauth's own limits, in its format "N/period/per" (per ip, user or key).
# login_failed is the lockout: 5 failed log-ins for one account from one address within
# 5 minutes lock that account at that address (web log-in and API token alike; the key
# is account + address, accounts.adapter) until the oldest failure is 5 minutes old;
# other addresses still log in. One address may fail 10 log-ins a minute in all.
ACCOUNT_RATE_LIMITS = {
    "login": env("RATE_LIMIT_LOGIN", default="30/m/ip"),
    "login_failed": env("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": env("RATE_LIMIT_SIGNUP", default="20/m/ip"),
}
# Proxies in front of the app that append to X-Forwarded-For: how client addresses,
# and so the per-address limits, are found. 0 reads REMOTE_ADDR.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Media is private: every file is served through core/web/media.py on a signed URL
# that lives this many seconds, and only to a viewer who may see it at that moment
# (with object storage, the view then redirects to a presigned URL as short-lived).
MEDIA_URL_MAX_AGE = env.int("MEDIA_URL_MAX_AGE", default=300)
# How long a storyline's ranking (its takes' counters and featured flags) stays in the
# cache at most; every write that changes one forgets it sooner (0: never cached).
STORYLINE_RANKING_CACHE_SECONDS = env.int("STORYLINE_RANKING_CACHE_SECONDS", default=300)
# Where media lives (config/settings/storage.py): "filesystem" under MEDIA_ROOT, the
# default here and for `make run`, or "s3", an S3-compatible bucket (production's
# default). Pages load media from the bucket's origin too when it is one.
MEDIA_STORAGE = env("MEDIA_STORAGE", default=FILESYSTEM)
_MEDIA = media_storage(kind=MEDIA_STORAGE, url_max_age=MEDIA_URL_MAX_AGE)
CSP_MEDIA_SOURCES = [*env.list("CSP_MEDIA_SOURCES", default=[]), *_MEDIA.origins]


# Content-Security-Policy (django-csp), in every environment so a breach shows early.
# No inline script anywhere: htmx and static/js only. Styles allow inline because the
# Django admin, Swagger UI and allauth templates carry a few style attributes and
# <style> blocks; script is what a CSP must hold. form-action lists Stripe because
# Chromium applies form-action to the redirect after a POST (Checkout, Connect).
def content_security_policy(*, media_sources: list[str]) -> dict:
    """The policy, with ``media_sources`` allowed for images and video."""
    return {
        "DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:", *media_sources],
            # blob: plays back the consent video a person just recorded, before it is sent.
            "media-src": ["'self'", "blob:", *media_sources],
            "font-src": ["'self'"],
            "connect-src": ["'self'"],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "frame-ancestors": ["'none'"],
            "form-action": [
                "'self'",
                *env.list(
                    "CSP_FORM_ACTION_SOURCES",
                    default=["https://checkout.stripe.com", "https://connect.stripe.com"],
                ),
            ],
        },
    }


CONTENT_SECURITY_POLICY = content_security_policy(media_sources=CSP_MEDIA_SOURCES)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Cocreate <no-reply@cocreate.localhost>")

LANGUAGE_CODE = "en-us"
# Amounts are formatted in the browser's locale (core/locale.py); this one where there is
# no request (tasks, e-mails, commands).
FORMAT_LOCALE = "en_US"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Empty: the view streams the file itself (development, tests). In production the web
# server sends it: "X-Accel-Redirect" (nginx; the prefix is an internal location) or
# "X-Sendfile" (Apache mod_xsendfile; the prefix is MEDIA_ROOT's path). README: "Media
# in production".
MEDIA_SENDFILE_HEADER = env("MEDIA_SENDFILE_HEADER", default="")
MEDIA_SENDFILE_PREFIX = env(
    "MEDIA_SENDFILE_PREFIX",
    default=f"{MEDIA_ROOT}/"
    if MEDIA_SENDFILE_HEADER.lower() == "x-sendfile"
    else "/protected-media/",
)
STORAGES = {
    "default": _MEDIA.backend,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: reject bodies larger than an organization document before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
ORGANIZATION_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
CHARACTER_IMAGE_MAX_BYTES = 10 * 1024 * 1024
CHARACTER_IMAGE_MAX_SIDE = 4096
# A likeness's consent video (licensing/services/consent.py): the phrase to read is good
# for this many seconds, and the video must last MIN to MAX seconds and weigh at most
# MAX_BYTES.
LIKENESS_CHALLENGE_SECONDS = env.int("LIKENESS_CHALLENGE_SECONDS", default=300)
LIKENESS_CONSENT_MIN_SECONDS = 2
LIKENESS_CONSENT_MAX_SECONDS = 30
LIKENESS_CONSENT_MAX_BYTES = 30 * 1024 * 1024
# The provenance check (/verify/) reads the upload in memory, and stores nothing.
VERIFY_MAX_BYTES = 100 * 1024 * 1024

# Video generation: "local" renders on this machine's CPU; "openai" calls OpenAI's
# video API (needs OPENAI_API_KEY).
VIDEO_BACKEND = env("VIDEO_BACKEND", default="local")
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="") or None
OPENAI_VIDEO_MODEL = env("OPENAI_VIDEO_MODEL", default="sora-2")
OPENAI_VIDEO_TIMEOUT_S = env.int("OPENAI_VIDEO_TIMEOUT_S", default=600)
OPENAI_VIDEO_POLL_S = env.float("OPENAI_VIDEO_POLL_S", default=5.0)

# Lookalike screening (licensing/policy/lookalike.py): a prompt whose meaning is at
# least THRESHOLD close to a character's description (cosine similarity of
# all-MiniLM-L6-v2 embeddings), and within MARGIN of the description it is closest to,
# describes that character; at most MAX_MATCHES characters, the closest, per prompt.
# Chosen with bench/lookalike_calibrate.py on tests/data/lookalike_labelled.json
# (README, "Licensing").
LOOKALIKE_THRESHOLD = env.float("LOOKALIKE_THRESHOLD", default=0.5)
LOOKALIKE_MARGIN = env.float("LOOKALIKE_MARGIN", default=0.05)
LOOKALIKE_MAX_MATCHES = env.int("LOOKALIKE_MAX_MATCHES", default=3)
# Threads PyTorch may use per process to embed a prompt: workers scale by processes.
LOOKALIKE_TORCH_THREADS = env.int("LOOKALIKE_TORCH_THREADS", default=1)
# Load the model when a Celery worker process starts, so the first screen does not wait.
LOOKALIKE_PRELOAD = env.bool("LOOKALIKE_PRELOAD", default=True)

# Money. The platform's cut of every revenue event, and each upstream creator's share
# of a remix's revenue, in basis points.
PLATFORM_FEE_BPS = env.int("PLATFORM_FEE_BPS", default=1_000)
UPSTREAM_CREATOR_BPS = env.int("UPSTREAM_CREATOR_BPS", default=500)
# Revenue waits in "pending" this long before it can be paid out (refund window).
PENDING_HOLD_HOURS = env.int("PENDING_HOLD_HOURS", default=0)
# A payout is made when an available balance reaches this many minor units.
PAYOUT_THRESHOLD_MINOR = env.int("PAYOUT_THRESHOLD_MINOR", default=1_000)

# Stripe. With no STRIPE_SECRET_KEY (make run's default) payments run in test mode: the
# payments sandbox inside Cocreate stands in for Stripe (payments/sandbox/), with a
# webhook secret derived from SECRET_KEY unless STRIPE_WEBHOOK_SECRET is set. With a
# key (sk_test_... or sk_live_...) the real Stripe API is used. STRIPE_API_BASE is
# empty in production (api.stripe.com); tests point it at a loopback fake.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# Seconds before one call to Stripe gives up, and how many times stripe-python retries
# a network error, timeout or 5xx (same idempotency key) before raising.
STRIPE_TIMEOUT_S = env.float("STRIPE_TIMEOUT_S", default=20.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=3)
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Provenance (C2PA). Development keys live in var/provenance (manage.py
# provenance_keys); production points these at its own certificate chain and key.
C2PA_CERT_CHAIN = env("C2PA_CERT_CHAIN", default=str(VAR_DIR / "provenance" / "chain.pem"))
C2PA_PRIVATE_KEY = env("C2PA_PRIVATE_KEY", default=str(VAR_DIR / "provenance" / "signer.key"))
C2PA_TRUST_ANCHORS = env("C2PA_TRUST_ANCHORS", default=str(VAR_DIR / "provenance" / "root.pem"))
C2PA_TSA_URL = env("C2PA_TSA_URL", default="") or None
PROVENANCE_ISSUER = env("PROVENANCE_ISSUER", default="Cocreate")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    # JSON only: the bodies nest (aliases, terms), which form and multipart encodings
    # cannot carry, and they turn every value into a string the schema cannot describe.
    # Another content type is a 415.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONDepthLimitParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Throttles are core.ratelimit.ActionRateThrottle, reading settings.RATE_LIMITS.
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Cocreate API",
    "DESCRIPTION": "Licensed character remixing: catalog, licenses, generations and payouts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CharacterStatusEnum": "licensing.enums.CharacterStatus",
        "OfferStatusEnum": "licensing.enums.OfferStatus",
        "GrantStatusEnum": "licensing.enums.GrantStatus",
        "GenerationStatusEnum": "marketplace.enums.GenerationStatus",
        "WorkStatusEnum": "marketplace.enums.WorkStatus",
        "CheckoutStatusEnum": "payments.enums.CheckoutStatus",
    },
}

# Celery. The broker is BROKER_URL when set (redis:// or RabbitMQ's amqp://), else
# REDIS_URL; without either, the filesystem transport gives a real broker between
# separate processes with no server to run (README, "Brokers").
CELERY_BROKER_DIR = VAR_DIR / "celery"
BROKER_URL = env("BROKER_URL", default="") or REDIS_URL
CELERY_BROKER_URL = BROKER_URL or "filesystem://"


def broker_transport_options(url: str) -> dict:
    """What each transport needs to keep a message until a worker has done it.
    RabbitMQ: publisher confirms (a publish returns once the broker has the message).
    Redis: the visibility timeout after which a message a dead worker held is handed
    out again; longer than any task may run (15 minutes), so a slow task is never run
    twice at once. The generation and payout sweepers, not this hour, bound how long a
    killed worker delays a request."""
    if url.startswith(("amqp://", "amqps://", "pyamqp://")):
        return {"confirm_publish": True}
    if url.startswith(("redis://", "rediss://")):
        return {"visibility_timeout": 3600}
    return {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
    }


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
CELERY_RESULT_BACKEND = REDIS_URL or f"file://{CELERY_BROKER_DIR / 'results'}"
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Durable jobs (core/outbox.py, the sweepers in marketplace and payments).
# The relay publishes outbox messages still unsent this long after their commit.
OUTBOX_RELAY_AFTER_SECONDS = env.int("OUTBOX_RELAY_AFTER_SECONDS", default=5)
OUTBOX_RELAY_BATCH = env.int("OUTBOX_RELAY_BATCH", default=200)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=7)
# A generation step holds its request for this long, renewed while it renders; once it
# lapses the sweeper dispatches the request again from its status, at most this often
# before it fails the request.
GENERATION_LEASE_SECONDS = env.int("GENERATION_LEASE_SECONDS", default=120)
GENERATION_MAX_DISPATCHES = env.int("GENERATION_MAX_DISPATCHES", default=5)
# A submitted payout whose transfer webhook has not come this long after submitting is
# settled from the transfer itself; an unhandled webhook event this old is sent again.
PAYOUT_LEASE_SECONDS = env.int("PAYOUT_LEASE_SECONDS", default=900)
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

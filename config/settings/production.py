"""Production: every secret and address comes from the environment, and the app
refuses to start (ImproperlyConfigured) if SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL,
REDIS_URL or (with object storage, the default) MEDIA_S3_BUCKET is missing. Passes
``manage.py check --deploy`` with no warnings."""

from config.env import env, replica_database, tune_postgresql
from config.settings.base import *  # noqa: F403
from config.settings.storage import S3, media_storage

DEBUG = False
IS_PRODUCTION = True
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set the DJANGO_ALLOWED_HOSTS environment variable")

DATABASES = {"default": tune_postgresql(env.db_url("DATABASE_URL"))}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = replica_database(DATABASES["default"])
REPLICA_READS = "replica" in DATABASES

REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cocreate",
    }
}
# RabbitMQ (amqp://) when BROKER_URL says so; Redis stays the cache and result store.
CELERY_BROKER_URL = env("BROKER_URL", default="") or REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)  # noqa: F405
CELERY_RESULT_BACKEND = REDIS_URL

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
if not STRIPE_SECRET_KEY or not STRIPE_WEBHOOK_SECRET:
    # Set but empty would be test mode: the payments sandbox taking card numbers.
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET: production never runs payments "
        "in test mode"
    )
SITE_URL = env("SITE_URL")

SESSION_ENGINE = "django.contrib.sessions.backends.cache"
# Production runs behind one TLS-terminating proxy (hence SECURE_PROXY_SSL_HEADER); the
# per-address limits need the client address it appends to X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# Web and workers run on several hosts: media lives in object storage unless
# MEDIA_STORAGE=filesystem says this deployment is one host (config/settings/storage.py;
# a missing MEDIA_S3_BUCKET stops the start, naming it).
MEDIA_STORAGE = env("MEDIA_STORAGE", default=S3)
_MEDIA = media_storage(kind=MEDIA_STORAGE, url_max_age=MEDIA_URL_MAX_AGE)  # noqa: F405
CSP_MEDIA_SOURCES = [*env.list("CSP_MEDIA_SOURCES", default=[]), *_MEDIA.origins]
CONTENT_SECURITY_POLICY = content_security_policy(media_sources=CSP_MEDIA_SOURCES)  # noqa: F405
STORAGES = {
    **STORAGES,  # noqa: F405
    "default": _MEDIA.backend,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "INFO"}}  # noqa: F405

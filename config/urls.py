from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.web import media
from core.web import views as ops
from marketplace.web import views as marketplace_views

# django-allauth answers its rate limits (log-in, sign-up, ...) through this.
handler429 = "core.ratelimit.handler429"
handler404 = "core.web.views.not_found"

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("licensing.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("payments.api.urls")),
    path("ping/", ops.ApiPingView.as_view(), name="api-ping"),
]

urlpatterns = [
    path("", marketplace_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.web.urls")),
    path("", include("licensing.web.urls")),
    path("", include("marketplace.web.urls")),
    path("", include("payments.web.urls")),
    path("", include("dashboard.web.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # Test mode's stand-in for Stripe: a 404 whenever Stripe keys are configured.
    path("sandbox/", include("payments.sandbox.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from a URL (?script), not
    # inline, so the page runs under the CSP's script-src 'self'.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz/", ops.healthz, name="healthz"),
    path("ops/status/", ops.status_page, name="ops-status"),
    path("ops/status/ping/", ops.status_ping, name="ops-ping"),
    path("ops/status/ping/<uuid:task_id>/", ops.status_ping_result, name="ops-ping-result"),
    # Every uploaded or rendered file, on a signed URL, to whoever may see it now; in
    # production the web server sends the bytes (README: "Media in production").
    re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", media.media, name="media"),
]

"""Operational pages: health for load balancers, and a staff status page that proves
the Celery worker and beat are alive by sending a real task through the broker."""

import time
import uuid

from celery import current_app
from celery.result import AsyncResult
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import cache
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import tasks
from core.replicas import REPLICA

HEALTH_RETRY_AFTER_S = 30


def _database_ok() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache_ok() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, 1, 10)
    if cache.get(key) != 1:
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


def _broker_ok() -> None:
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


def _replica_ok() -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT 1")


def _checks() -> dict:
    """What this process depends on: the read replica too when one is configured
    (``DATABASE_REPLICA_URL``), since public pages read from it."""
    checks = {"database": _database_ok, "broker": _broker_ok, "cache": _cache_ok}
    if REPLICA in settings.DATABASES:
        checks["replica"] = _replica_ok
    return checks


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Each dependency, checked separately: ``{"status", "database", "broker", "cache"}``
    (and ``"replica"`` with a read replica), each ``ok`` or ``down``; 503 with
    Retry-After when any is down, so a load balancer takes this process out and an
    operator sees which one."""
    body = {}
    for name, check in _checks().items():
        try:
            check()
        except Exception:  # any failure of a dependency is "down", never a 500
            body[name] = "down"
        else:
            body[name] = "ok"
    healthy = all(value == "ok" for value in body.values())
    response = JsonResponse({"status": "ok" if healthy else "down", **body})
    if not healthy:
        response.status_code = 503
        response["Retry-After"] = str(HEALTH_RETRY_AFTER_S)
    return response


@staff_member_required
@require_GET
def status_page(request: HttpRequest) -> HttpResponse:
    beat_at = cache.get(tasks.HEARTBEAT_CACHE_KEY)
    context = {"beat_age": round(time.time() - beat_at) if beat_at else None}
    return render(request, "ops/status.html", context)


@staff_member_required
@require_POST
def status_ping(request: HttpRequest) -> HttpResponse:
    result = tasks.ping.delay(uuid.uuid4().hex)
    return render(request, "ops/_ping.html", {"task_id": result.id, "state": "PENDING"})


@staff_member_required
@require_GET
def status_ping_result(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    result = AsyncResult(str(task_id))
    context = {"task_id": task_id, "state": result.state}
    # The fragment re-polls itself until the task is ready, then renders without hx-get.
    return render(request, "ops/_ping.html", context)


class ApiPingView(APIView):
    """``GET /api/v1/ping/``: the smallest DRF request (the same middleware,
    authentication, permission and renderer as every API view, and no query). It is the
    floor bench/api_latency.py compares the catalog and the feed with."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["ops"],
        responses={200: inline_serializer("Ping", {"status": serializers.CharField()})},
        examples=[OpenApiExample("Up", value={"status": "ok"}, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404. Under /api/ a path that matches no route (an id that is not a UUID, a
    misspelt resource) answers in the API's error shape, as the API's own 404s do; a
    client reading JSON must never get the site's HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "detail": "Not found.", "field": None}, status=404
        )
    return defaults.page_not_found(request, exception)

"""The sandbox's state: objects, balances and events, in its own tables. Every change is
made inside the caller's ``transaction.atomic()`` with the rows locked, and every event
is sent once that transaction commits."""

from __future__ import annotations

from typing import Any

from celery import signature as task_signature
from django.db import transaction

from payments.sandbox import objects
from payments.sandbox.models import SandboxBalance, SandboxEvent, SandboxObject


class StripeFail(Exception):
    """An error answer, in Stripe's shape. ``saved``: Stripe stores it under the
    request's idempotency key (it happened while executing), so a retry replays it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        saved: bool = False,
    ):
        super().__init__(message)
        self.status, self.message, self.type = status, message, type_
        self.code, self.param, self.decline_code, self.saved = code, param, decline_code, saved

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if self.decline_code:
            error["decline_code"] = self.decline_code
        return {"error": error}


def missing(kind: str, obj_id: str, *, param: str | None = None) -> StripeFail:
    return StripeFail(
        404 if param is None else 400,
        f"No such {kind}: '{obj_id}'",
        code="resource_missing",
        param=param or "id",
    )


def put(data: dict[str, Any], private: dict[str, Any] | None = None) -> SandboxObject:
    return SandboxObject.objects.create(
        id=data["id"], object=data["object"], data=data, private=private or {}
    )


def get(obj_id: str, kind: str, *, param: str | None = None, lock: bool = False) -> SandboxObject:
    """The object ``obj_id`` of ``kind`` (a Stripe ``object`` name), or Stripe's 404."""
    rows = SandboxObject.objects.select_for_update() if lock else SandboxObject.objects
    found = rows.filter(pk=str(obj_id)[:100], object=kind).first()
    if found is None:
        raise missing(kind.replace("_", " ").split(".")[-1], obj_id, param=param)
    return found


def save(row: SandboxObject) -> None:
    row.save(update_fields=["data", "private", "updated_at"])


def move(account: str, currency: str, amount: int) -> int:
    """Add ``amount`` (may be negative) to the available funds of ``account`` (the
    platform when empty); returns the new amount. The row stays locked until commit."""
    row, _ = SandboxBalance.objects.select_for_update().get_or_create(
        account=account, currency=currency
    )
    row.available += amount
    row.save(update_fields=["available"])
    return row.available


def available(account: str, currency: str, *, lock: bool = False) -> int:
    rows = SandboxBalance.objects.select_for_update() if lock else SandboxBalance.objects
    if lock:
        row, _ = rows.get_or_create(account=account, currency=currency)
        return row.available
    found = rows.filter(account=account, currency=currency).first()
    return found.available if found else 0


def balances(account: str) -> dict[str, int]:
    return dict(SandboxBalance.objects.filter(account=account).values_list("currency", "available"))


def emit(
    type_: str,
    obj: dict[str, Any],
    *,
    account: str | None = None,
    previous: dict | None = None,
    request: dict | None = None,
) -> SandboxEvent:
    """Record an event and send it to the webhook endpoint once this transaction commits
    (the worker posts it, signed, and retries until the endpoint answers 2xx)."""
    payload = objects.event(
        type_=type_, obj=obj, account=account, previous=previous, request=request
    )
    stored = SandboxEvent.objects.create(id=payload["id"], type=type_, payload=payload)
    # robust: the payment is made either way; a lost enqueue is found by the sweep
    # (tasks.sandbox_redeliver), as Stripe retries what it could not deliver.
    transaction.on_commit(lambda: enqueue_delivery(stored.pk), robust=True)
    return stored


def enqueue_delivery(event_id: str) -> None:
    # By name: the task module imports the delivery code, which imports this one.
    task_signature("payments.sandbox_deliver", args=(event_id,)).apply_async()

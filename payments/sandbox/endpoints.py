"""The Stripe API calls the sandbox answers: exactly those ``payments/stripe_gateway.py``
makes, with Stripe's validation and errors for what a caller could get wrong. Each
takes the parsed parameters (and the path's id) inside the request's transaction and
returns the object to answer with."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse

from payments.sandbox import objects, store
from payments.sandbox.actions import checkout_expire_if_due
from payments.sandbox.store import StripeFail


def _require(params: dict, name: str) -> Any:
    if params.get(name) in (None, ""):
        raise StripeFail(
            400, f"Missing required param: {name}.", code="parameter_missing", param=name
        )
    return params[name]


def _int(params: dict, name: str, *, minimum: int = 0) -> int:
    raw = params.get(name)
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise StripeFail(
            400, f"Invalid integer: {raw}", code="parameter_invalid_integer", param=name
        ) from None
    if value < minimum or value >= 2**63:
        raise StripeFail(
            400, f"Invalid integer: {raw}", code="parameter_invalid_integer", param=name
        )
    return value


def _currency(raw: Any, param: str) -> str:
    currency = str(raw or "").lower()
    if currency not in objects.CURRENCIES:
        raise StripeFail(
            400,
            f"Invalid currency: {currency}. Stripe currently supports these currencies: "
            + ", ".join(sorted(objects.CURRENCIES)),
            code="parameter_invalid_string" if currency else "parameter_missing",
            param=param,
        )
    return currency


def _metadata(params: dict) -> dict[str, str]:
    metadata = params.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise StripeFail(400, "Invalid object", param="metadata")
    return {str(k): str(v) for k, v in metadata.items()}


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- Connect -------------------------------------------------------------------------------


def accounts_create(params: dict, request: dict) -> dict:
    kind = params.get("type") or "express"
    if kind not in ("standard", "express", "custom"):
        raise StripeFail(
            400, "Invalid type: must be one of standard, express, or custom", param="type"
        )
    requested = {
        name: "inactive"
        for name, value in (params.get("capabilities") or {}).items()
        if isinstance(value, dict) and value.get("requested") == "true"
    }
    country = str(params.get("country") or "US").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise StripeFail(400, f"Country '{country}' is unknown.", param="country")
    account = objects.account(
        email=params.get("email"),
        country=country,
        kind=kind,
        metadata=_metadata(params),
        capabilities=requested,
    )
    store.put(account)
    return account


def accounts_retrieve(params: dict, request: dict, obj_id: str) -> dict:
    return store.get(obj_id, "account").data


def account_links_create(params: dict, request: dict) -> dict:
    for name in ("account", "type", "refresh_url", "return_url"):
        _require(params, name)
    if params["type"] not in ("account_onboarding", "account_update"):
        raise StripeFail(400, f"Invalid type: {params['type']}", param="type")
    account = store.get(params["account"], "account", param="account")
    link_id = objects.new_id("link")
    url = _site(reverse("sandbox:onboarding", args=[link_id]))
    link = objects.account_link(url=url)
    store.put(
        {"id": link_id, "object": "account_link", **link},
        private={
            "account": account.pk,
            "refresh_url": params["refresh_url"],
            "return_url": params["return_url"],
        },
    )
    return link


# --- Checkout ------------------------------------------------------------------------------


def checkout_sessions_create(params: dict, request: dict) -> dict:
    if _require(params, "mode") != "payment":
        raise StripeFail(400, "The sandbox supports mode=payment only.", param="mode")
    _require(params, "success_url")
    items = _require(params, "line_items")
    if not isinstance(items, list):
        raise StripeFail(400, "Invalid array", param="line_items")
    total, currencies, names = 0, set(), []
    for index, item in enumerate(items):
        where = f"line_items[{index}]"
        price = item.get("price_data") if isinstance(item, dict) else None
        if not isinstance(price, dict):
            raise StripeFail(
                400,
                f"Missing required param: {where}[price_data].",
                code="parameter_missing",
                param=f"{where}[price_data]",
            )
        currencies.add(_currency(price.get("currency"), f"{where}[price_data][currency]"))
        quantity = _int(item, "quantity", minimum=1)
        total += _int(price, "unit_amount") * quantity
        names.append(str((price.get("product_data") or {}).get("name") or "Item"))
    if len(currencies) != 1:
        raise StripeFail(400, "All line_items must share one currency.", param="line_items")
    currency = currencies.pop()
    minimum = objects.MINIMUM_CHARGE.get(currency, 1)
    if total < minimum:
        raise StripeFail(
            400,
            "The Checkout Session's total amount due must add up to at least "
            f"{minimum} {currency} (minor units).",
            code="amount_too_small",
            param="line_items",
        )
    if total >= 10**10:
        raise StripeFail(
            400,
            "Amount must be no more than 99,999,999.99",
            code="amount_too_large",
            param="line_items",
        )
    session_id = objects.new_id("cs_test", 58)
    url = _site(reverse("sandbox:checkout", args=[session_id]))
    session = objects.checkout_session(
        session_id=session_id, params=params, total=total, currency=currency, url=url
    )
    session["metadata"] = _metadata(params)
    data = params.get("payment_intent_data") or {}
    store.put(
        session,
        private={
            "payment_intent_data": {
                "transfer_group": data.get("transfer_group"),
                "metadata": _metadata(data),
                "description": data.get("description"),
            },
            "line_items": [{"name": name} for name in names],
        },
    )
    return session


def checkout_sessions_retrieve(params: dict, request: dict, obj_id: str) -> dict:
    row = store.get(obj_id, "checkout.session", lock=True)
    return checkout_expire_if_due(row).data


def payment_intents_retrieve(params: dict, request: dict, obj_id: str) -> dict:
    intent = dict(store.get(obj_id, "payment_intent").data)
    if "latest_charge" in (params.get("expand") or []) and intent.get("latest_charge"):
        intent["latest_charge"] = store.get(intent["latest_charge"], "charge").data
    return intent


# --- money out -----------------------------------------------------------------------------


def transfers_create(params: dict, request: dict) -> dict:
    for name in ("amount", "currency", "destination"):
        _require(params, name)
    amount = _int(params, "amount", minimum=1)
    currency = _currency(params["currency"], "currency")
    destination = store.get(params["destination"], "account", param="destination")
    if destination.data["capabilities"].get("transfers") != "active":
        raise StripeFail(
            400,
            "Your destination account needs to have at least one of the following "
            "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param="destination",
            saved=True,
        )
    if store.available("", currency, lock=True) < amount:
        raise StripeFail(
            400,
            "You have insufficient available funds in your Stripe account. Try adding "
            "funds directly to your available balance by creating Charges using the "
            "4000000000000077 test card.",
            code="balance_insufficient",
            saved=True,
        )
    transfer = objects.transfer(
        amount=amount,
        currency=currency,
        destination=destination.pk,
        metadata=_metadata(params),
        transfer_group=params.get("transfer_group"),
        source_transaction=params.get("source_transaction"),
        description=params.get("description"),
    )
    store.put(transfer)
    store.move("", currency, -amount)
    store.move(destination.pk, currency, amount)
    store.emit("transfer.created", transfer, request=request)
    return transfer


def transfers_retrieve(params: dict, request: dict, obj_id: str) -> dict:
    return store.get(obj_id, "transfer").data


def transfer_reversals_create(params: dict, request: dict, obj_id: str) -> dict:
    row = store.get(obj_id, "transfer", lock=True)
    transfer = row.data
    left = transfer["amount"] - transfer["amount_reversed"]
    amount = _int(params, "amount", minimum=1) if "amount" in params else left
    if amount > left:
        raise StripeFail(
            400,
            f"You have requested a reversal of {amount}, but only {left} is left to reverse "
            f"on transfer {transfer['id']}.",
            code="amount_too_large" if left else "transfer_already_reversed",
            param="amount",
        )
    reversal = objects.transfer_reversal(
        transfer=transfer, amount=amount, metadata=_metadata(params)
    )
    store.put(reversal)
    previous = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"]}
    reversals = transfer["reversals"]
    reversals["data"] = [reversal, *reversals["data"]]
    reversals["total_count"] = len(reversals["data"])
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
    save_with(row, transfer)
    store.move(transfer["destination"], transfer["currency"], -amount)
    store.move("", transfer["currency"], amount)
    store.emit("transfer.reversed", transfer, previous=previous, request=request)
    return reversal


def refunds_create(params: dict, request: dict) -> dict:
    if params.get("charge"):
        charge_row = store.get(params["charge"], "charge", param="charge", lock=True)
    elif params.get("payment_intent"):
        intent = store.get(params["payment_intent"], "payment_intent", param="payment_intent")
        charge_row = store.get(intent.data["latest_charge"], "charge", lock=True)
    else:
        raise StripeFail(
            400,
            "Missing required param: payment_intent.",
            code="parameter_missing",
            param="payment_intent",
        )
    charge = charge_row.data
    left = charge["amount"] - charge["amount_refunded"]
    if left <= 0:
        raise StripeFail(
            400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    amount = _int(params, "amount", minimum=1) if "amount" in params else left
    if amount > left:
        raise StripeFail(
            400,
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
            code="amount_too_large",
            param="amount",
        )
    refund = objects.refund(
        charge=charge, amount=amount, metadata=_metadata(params), reason=params.get("reason")
    )
    store.put(refund)
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    refunds = charge["refunds"]
    refunds["data"] = [refund, *refunds["data"]]
    refunds["total_count"] = len(refunds["data"])
    save_with(charge_row, charge)
    store.move("", charge["currency"], -amount)
    store.emit("refund.created", refund, request=request)
    store.emit("charge.refunded", charge, previous=previous, request=request)
    return refund


def balance_retrieve(params: dict, request: dict) -> dict:
    return objects.balance(store.balances(""))


def save_with(row, data: dict) -> None:
    row.data = data
    store.save(row)


# (method, path pattern, endpoint); the pattern's groups are the endpoint's arguments.
Endpoint = Callable[..., dict]
_TABLE: list[tuple[str, str, Endpoint]] = [
    ("POST", r"/v1/accounts", accounts_create),
    ("GET", r"/v1/accounts/([^/]+)", accounts_retrieve),
    ("POST", r"/v1/account_links", account_links_create),
    ("POST", r"/v1/checkout/sessions", checkout_sessions_create),
    ("GET", r"/v1/checkout/sessions/([^/]+)", checkout_sessions_retrieve),
    ("GET", r"/v1/payment_intents/([^/]+)", payment_intents_retrieve),
    ("POST", r"/v1/transfers", transfers_create),
    ("GET", r"/v1/transfers/([^/]+)", transfers_retrieve),
    ("POST", r"/v1/transfers/([^/]+)/reversals", transfer_reversals_create),
    ("POST", r"/v1/refunds", refunds_create),
    ("GET", r"/v1/balance", balance_retrieve),
]
ROUTES: list[tuple[str, re.Pattern[str], Endpoint]] = [
    (method, re.compile(pattern), endpoint) for method, pattern, endpoint in _TABLE
]


def route(method: str, path: str) -> tuple[Endpoint, tuple[str, ...]] | None:
    for verb, pattern, endpoint in ROUTES:
        if verb == method and (match := pattern.fullmatch(path)):
            return endpoint, match.groups()
    return None

"""Stripe's objects as the sandbox answers them: the fields of Stripe's API reference for
each (API version of the installed stripe-python), test mode (``livemode: false``).
Builders only: storing and changing them is ``store.py``'s."""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

import stripe

API_VERSION: str = stripe.api_version
_ALPHANUMERIC = string.ascii_letters + string.digits

# Stripe's minimum charge per currency (minor units), for the currencies it lists; the
# others need at least one unit. https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
MINIMUM_CHARGE = {
    "usd": 50,
    "eur": 50,
    "gbp": 30,
    "cad": 50,
    "aud": 50,
    "chf": 50,
    "jpy": 50,
    "nzd": 50,
    "sgd": 50,
    "hkd": 400,
    "sek": 300,
    "nok": 300,
    "dkk": 250,
    "mxn": 1000,
    "brl": 50,
    "inr": 50,
    "pln": 200,
    "czk": 1500,
    "huf": 17500,
    "ron": 200,
    "thb": 1000,
}
# The presentment currencies Stripe accepts (a subset: the ones a marketplace like this
# one would offer). Anything else is refused as Stripe refuses it.
CURRENCIES = frozenset(MINIMUM_CHARGE) | frozenset(
    {"bgn", "idr", "ils", "isk", "krw", "myr", "php", "twd", "zar", "aed", "sar", "try"}
)
_COUNTRY_CURRENCY = {"US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "CH": "chf", "JP": "jpy"}
EURO_COUNTRIES = frozenset(
    {"AT", "BE", "DE", "ES", "FI", "FR", "IE", "IT", "LU", "NL", "PT", "GR", "SK", "SI"}
)


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def now() -> int:
    return int(time.time())


def empty_list(url: str) -> dict[str, Any]:
    return {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": url}


def account(
    *, email: str | None, country: str, kind: str, metadata: dict, capabilities: dict
) -> dict[str, Any]:
    account_id = new_id("acct", 16)
    currency = "eur" if country in EURO_COUNTRIES else _COUNTRY_CURRENCY.get(country, "usd")
    due = ["business_type", "external_account", "individual.first_name", "tos_acceptance.date"]
    requirements = {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": due,
        "disabled_reason": "requirements.past_due",
        "errors": [],
        "eventually_due": due,
        "past_due": due,
        "pending_verification": [],
    }
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {"mcc": None, "name": None, "product_description": None, "url": None},
        "business_type": None,
        "capabilities": capabilities,
        "charges_enabled": False,
        "controller": {
            "fees": {"payer": "application"},
            "is_controller": True,
            "losses": {"payments": "application"},
            "requirement_collection": "stripe",
            "stripe_dashboard": {"type": kind},
            "type": "application",
        },
        "country": country,
        "created": now(),
        "default_currency": currency,
        "details_submitted": False,
        "email": email,
        "external_accounts": empty_list(f"/v1/accounts/{account_id}/external_accounts"),
        "future_requirements": {**requirements, "currently_due": [], "past_due": []},
        "metadata": metadata,
        "payouts_enabled": False,
        "requirements": requirements,
        "settings": {"payouts": {"schedule": {"delay_days": 2, "interval": "daily"}}},
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": kind,
    }


def bank_account(*, account_id: str, country: str, currency: str, last4: str) -> dict[str, Any]:
    return {
        "id": new_id("ba"),
        "object": "bank_account",
        "account": account_id,
        "account_holder_name": None,
        "account_holder_type": None,
        "bank_name": "STRIPE TEST BANK",
        "country": country,
        "currency": currency,
        "default_for_currency": True,
        "fingerprint": new_id("fp", 16),
        "last4": last4,
        "metadata": {},
        "routing_number": "110000000",
        "status": "new",
    }


def account_link(*, url: str) -> dict[str, Any]:
    created = now()
    return {"object": "account_link", "created": created, "expires_at": created + 300, "url": url}


def checkout_session(
    *, session_id: str, params: dict, total: int, currency: str, url: str
) -> dict[str, Any]:
    created = now()
    return {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None},
        "customer": params.get("customer"),
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "expires_at": created + 24 * 3600,
        "invoice": None,
        "invoice_creation": {"enabled": False, "invoice_data": {}},
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": dict(params.get("metadata") or {}),
        "mode": "payment",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": url,
    }


def payment_intent(
    *, amount: int, currency: str, charge_id: str, method_id: str, data: dict
) -> dict[str, Any]:
    intent_id = new_id("pi")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{new_id('s', 16)}",
        "confirmation_method": "automatic",
        "created": now(),
        "currency": currency,
        "customer": None,
        "description": data.get("description"),
        "last_payment_error": None,
        "latest_charge": charge_id,
        "livemode": False,
        "metadata": dict(data.get("metadata") or {}),
        "next_action": None,
        "on_behalf_of": data.get("on_behalf_of"),
        "payment_method": method_id,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": data.get("receipt_email"),
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": data.get("transfer_data"),
        "transfer_group": data.get("transfer_group"),
    }


def charge(
    *,
    charge_id: str,
    intent: dict,
    method_id: str,
    email: str,
    name: str,
    last4: str,
    brand: str,
    receipt_url: str,
) -> dict[str, Any]:
    amount = intent["amount"]
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn"),
        "billing_details": {"address": None, "email": email, "name": name, "phone": None},
        "calculated_statement_descriptor": "COCREATE",
        "captured": True,
        "created": now(),
        "currency": intent["currency"],
        "customer": None,
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": intent["on_behalf_of"],
        "outcome": {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": True,
        "payment_intent": intent["id"],
        "payment_method": method_id,
        "payment_method_details": {
            "card": {"brand": brand, "country": "US", "funding": "credit", "last4": last4},
            "type": "card",
        },
        "receipt_email": intent["receipt_email"],
        "receipt_number": None,
        "receipt_url": receipt_url,
        "refunded": False,
        "refunds": empty_list(f"/v1/charges/{charge_id}/refunds"),
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "status": "succeeded",
        "transfer_data": intent["transfer_data"],
        "transfer_group": intent["transfer_group"],
    }


def transfer(
    *,
    amount: int,
    currency: str,
    destination: str,
    metadata: dict,
    transfer_group: str | None,
    source_transaction: str | None,
    description: str | None,
) -> dict[str, Any]:
    transfer_id = new_id("tr")
    return {
        "id": transfer_id,
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": new_id("txn"),
        "created": now(),
        "currency": currency,
        "description": description,
        "destination": destination,
        "destination_payment": new_id("py"),
        "livemode": False,
        "metadata": metadata,
        "reversals": empty_list(f"/v1/transfers/{transfer_id}/reversals"),
        "reversed": False,
        "source_transaction": source_transaction,
        "source_type": "card",
        "transfer_group": transfer_group,
    }


def transfer_reversal(*, transfer: dict, amount: int, metadata: dict) -> dict[str, Any]:
    return {
        "id": new_id("trr"),
        "object": "transfer_reversal",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "created": now(),
        "currency": transfer["currency"],
        "destination_payment_refund": new_id("pyr"),
        "metadata": metadata,
        "source_refund": None,
        "transfer": transfer["id"],
    }


def refund(*, charge: dict, amount: int, metadata: dict, reason: str | None) -> dict[str, Any]:
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": charge["id"],
        "created": now(),
        "currency": charge["currency"],
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def balance(amounts: dict[str, int], default_currency: str = "usd") -> dict[str, Any]:
    currencies = sorted(amounts) or [default_currency]
    return {
        "object": "balance",
        "available": [
            {"amount": amount, "currency": c, "source_types": {"card": amount}}
            for c in currencies
            for amount in [amounts.get(c, 0)]
        ],
        "connect_reserved": [{"amount": 0, "currency": c} for c in currencies],
        "livemode": False,
        "pending": [{"amount": 0, "currency": c, "source_types": {"card": 0}} for c in currencies],
    }


def event(
    *,
    type_: str,
    obj: dict,
    account: str | None = None,
    previous: dict | None = None,
    request: dict | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    payload: dict[str, Any] = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": request or {"id": None, "idempotency_key": None},
        "type": type_,
    }
    if account is not None:
        payload["account"] = account  # a Connect event: it happened on that account
    return payload

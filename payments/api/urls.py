from django.urls import path

from payments.api import views

urlpatterns = [
    path("webhooks/stripe/", views.StripeWebhookView.as_view(), name="api-stripe-webhook"),
    path(
        "grants/<uuid:pk>/checkout/", views.GrantCheckoutView.as_view(), name="api-grant-checkout"
    ),
    path("balance/", views.BalanceView.as_view(), name="api-balance"),
    path("ledger/", views.LedgerView.as_view(), name="api-ledger"),
    path("payouts/", views.PayoutListView.as_view(), name="api-payouts"),
]

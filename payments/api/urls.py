from django.urls import path

from payments.api import licences, splits, tips, views, wallet

urlpatterns = [
    path("works/<uuid:pk>/split/", splits.WorkSplitView.as_view(), name="api-work-split"),
    path("works/<uuid:pk>/tips/", tips.WorkTipView.as_view(), name="api-work-tips"),
    path("offers/<uuid:pk>/accept/", licences.OfferAcceptView.as_view(), name="api-offer-accept"),
    path("webhooks/stripe/", views.StripeWebhookView.as_view(), name="api-stripe-webhook"),
    path(
        "grants/<uuid:pk>/checkout/", views.GrantCheckoutView.as_view(), name="api-grant-checkout"
    ),
    path("balance/", views.BalanceView.as_view(), name="api-balance"),
    path("wallet/", wallet.WalletView.as_view(), name="api-wallet"),
    path("wallet/top-ups/", wallet.WalletTopUpView.as_view(), name="api-wallet-top-ups"),
    path("ledger/", views.LedgerView.as_view(), name="api-ledger"),
    path("payouts/", views.PayoutListView.as_view(), name="api-payouts"),
]

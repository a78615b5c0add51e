from django.urls import path

from payments.web import licences, views

app_name = "payments"

urlpatterns = [
    path("earnings/", views.earnings, name="earnings"),
    path("earnings/withdraw/", views.withdraw, name="withdraw"),
    path("earnings/wallet/top-up/", views.wallet_top_up, name="wallet_top_up"),
    path("earnings/wallet/settings/", views.wallet_settings, name="wallet_settings"),
    path("earnings/connect/", views.connect, name="connect"),
    path("earnings/connect/return/", views.connect_return, name="connect_return"),
    path(
        "characters/<uuid:pk>/accept/<uuid:offer_pk>/",
        licences.offer_accept,
        name="offer_accept",
    ),
    path("grants/<uuid:pk>/pay/", views.grant_pay, name="grant_pay"),
    path("works/<uuid:pk>/tip/", views.tip, name="tip"),
    path("checkout/done/", views.checkout_done, name="checkout_done"),
]

from django.urls import path

from payments.sandbox import api, views

app_name = "sandbox"

urlpatterns = [
    path("stripe/<path:endpoint>", api.stripe_api, name="api"),
    path("checkout/<str:session_id>/", views.checkout, name="checkout"),
    path("connect/<str:link_id>/", views.onboarding, name="onboarding"),
]

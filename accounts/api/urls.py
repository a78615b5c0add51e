from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("users/<uuid:pk>/follow/", views.UserFollowView.as_view(), name="api-user-follow"),
    path(
        "organizations/<uuid:pk>/verify/",
        views.OrganizationVerifyView.as_view(),
        name="api-organization-verify",
    ),
    path(
        "organizations/<uuid:pk>/reject/",
        views.OrganizationRejectView.as_view(),
        name="api-organization-reject",
    ),
]

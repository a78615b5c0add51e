from django.urls import path

from accounts.web import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile_settings, name="profile_settings"),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/settings/",
        views.notification_settings,
        name="notification_settings",
    ),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization_detail"),
    path(
        "organizations/<slug:slug>/members/",
        views.organization_member_set,
        name="organization_member_set",
    ),
    path(
        "organizations/<slug:slug>/members/<uuid:user_id>/remove/",
        views.organization_member_remove,
        name="organization_member_remove",
    ),
    path(
        "organizations/<slug:slug>/documents/",
        views.organization_document_add,
        name="organization_document_add",
    ),
    path(
        "organizations/<slug:slug>/submit/", views.organization_submit, name="organization_submit"
    ),
]

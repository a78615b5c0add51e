from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.organization_list, name="organization_list"),
    path("new/", views.organization_create, name="organization_create"),
    path("<slug:slug>/", views.organization_detail, name="organization_detail"),
    path("<slug:slug>/members/", views.organization_member_set, name="organization_member_set"),
    path(
        "<slug:slug>/members/<uuid:user_id>/remove/",
        views.organization_member_remove,
        name="organization_member_remove",
    ),
    path(
        "<slug:slug>/documents/", views.organization_document_add, name="organization_document_add"
    ),
    path("<slug:slug>/submit/", views.organization_submit, name="organization_submit"),
]

from django.urls import path

from dashboard.web import compliance, views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views.dashboard, name="overview"),
    path(
        "organizations/<slug:slug>/compliance/",
        compliance.compliance_download,
        name="compliance_download",
    ),
]

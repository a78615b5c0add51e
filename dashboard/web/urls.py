from django.urls import path

from dashboard.web import compliance, compliance_pages, verify_export, views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views.dashboard, name="overview"),
    path(
        "organizations/<slug:slug>/compliance/",
        compliance.compliance_download,
        name="compliance_download",
    ),
    path(
        "people/<uuid:user_id>/compliance/",
        compliance.person_compliance_download,
        name="person_compliance_download",
    ),
    path(
        "dashboard/platform/compliance/",
        compliance.platform_compliance_download,
        name="platform_compliance_download",
    ),
    path(
        "people/<uuid:user_id>/compliance/page/",
        compliance_pages.person_compliance_page,
        name="person_compliance",
    ),
    path(
        "dashboard/platform/compliance/page/",
        compliance_pages.platform_compliance_page,
        name="platform_compliance",
    ),
    path("verify/export/", verify_export.verify_export, name="verify_export"),
]

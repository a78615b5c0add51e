from django.urls import path

from licensing import views_compliance

urlpatterns = [
    path(
        "organizations/<slug:slug>/compliance/",
        views_compliance.compliance_download,
        name="compliance_download",
    ),
]

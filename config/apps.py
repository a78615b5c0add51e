from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin with Cocreate's site as ``admin.site``: every
    ``@admin.register`` lands on a site that requires staff to use TOTP."""

    default_site = "config.admin_site.StaffMFAAdminSite"

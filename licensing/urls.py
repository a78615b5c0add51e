from django.urls import path

from accounts import views as accounts_views
from licensing import views, views_claims, views_dashboard

app_name = "licensing"

urlpatterns = [
    path("catalog/", views.catalog, name="catalog"),
    path("characters/<uuid:pk>/", views.character_detail, name="character_detail"),
    path("characters/<uuid:pk>/accept/<uuid:offer_pk>/", views.offer_accept, name="offer_accept"),
    path("grants/", views.my_grants, name="my_grants"),
    path("grants/<uuid:pk>/end/", views.grant_end, name="grant_end"),
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("dashboard/characters/new/", views.character_create, name="character_create"),
    path("dashboard/characters/<uuid:pk>/", views.character_manage, name="character_manage"),
    path(
        "dashboard/characters/<uuid:pk>/images/",
        views.character_image_add,
        name="character_image_add",
    ),
    path(
        "dashboard/characters/<uuid:pk>/images/<uuid:image_pk>/delete/",
        views.character_image_delete,
        name="character_image_delete",
    ),
    path("dashboard/characters/<uuid:pk>/offers/", views.offer_create, name="offer_create"),
    path("dashboard/offers/<uuid:pk>/", views.offer_edit, name="offer_edit"),
    path("dashboard/offers/<uuid:pk>/preview/", views.offer_preview, name="offer_preview"),
    path("dashboard/offers/<uuid:pk>/publish/", views.offer_publish, name="offer_publish"),
    path("dashboard/approvals/", views.approvals, name="approvals"),
    path("dashboard/offers/<uuid:pk>/end/", views_claims.offer_end, name="offer_end"),
    # Claims and disputes (DESIGN flow 8).
    path("works/<uuid:pk>/claims/", views_claims.claims_for_work, name="claims_for_work"),
    path("claims/<uuid:pk>/dispute/", views_claims.claim_dispute, name="claim_dispute"),
    path("disputes/<uuid:pk>/escalate/", views_claims.dispute_escalate, name="dispute_escalate"),
    path("dashboard/claims/", views_claims.claims_dashboard, name="claims_dashboard"),
    path("dashboard/claims/<uuid:pk>/release/", views_claims.claim_release, name="claim_release"),
    path(
        "dashboard/disputes/<uuid:pk>/resolve/",
        views_claims.dispute_resolve,
        name="dispute_resolve",
    ),
    # Accounts' notifications page, served here because config/urls.py mounts
    # accounts.urls under /organizations/ and only this module at the site root.
    path("notifications/", accounts_views.notifications, name="notifications"),
    path("notifications/read/", accounts_views.notifications_read, name="notifications_read"),
]

from django.urls import path

from licensing.web import catalog, consent, manage

app_name = "licensing"

urlpatterns = [
    path("catalog/", catalog.catalog, name="catalog"),
    path("characters/<uuid:pk>/", catalog.character_detail, name="character_detail"),
    path("grants/", catalog.my_grants, name="my_grants"),
    path("grants/<uuid:pk>/end/", catalog.grant_end, name="grant_end"),
    path("dashboard/characters/new/", manage.character_create, name="character_create"),
    path("dashboard/characters/<uuid:pk>/", manage.character_manage, name="character_manage"),
    path(
        "dashboard/characters/<uuid:pk>/images/",
        manage.character_image_add,
        name="character_image_add",
    ),
    path(
        "dashboard/characters/<uuid:pk>/images/<uuid:image_pk>/delete/",
        manage.character_image_delete,
        name="character_image_delete",
    ),
    path(
        "dashboard/characters/<uuid:pk>/forms/<int:form_pk>/",
        manage.name_form_toggle,
        name="name_form_toggle",
    ),
    path(
        "dashboard/characters/<uuid:pk>/consent/phrase/",
        consent.consent_challenge_new,
        name="consent_challenge_new",
    ),
    path(
        "dashboard/characters/<uuid:pk>/consent/",
        consent.consent_submit,
        name="consent_submit",
    ),
    path("staff/likeness-reviews/", consent.consent_queue, name="consent_queue"),
    path(
        "staff/likeness-reviews/<uuid:consent_pk>/",
        consent.consent_review,
        name="consent_review",
    ),
    path("dashboard/characters/<uuid:pk>/offers/", manage.offer_create, name="offer_create"),
    path("dashboard/offers/<uuid:pk>/", manage.offer_edit, name="offer_edit"),
    path("dashboard/offers/<uuid:pk>/preview/", manage.offer_preview, name="offer_preview"),
    path("dashboard/offers/<uuid:pk>/publish/", manage.offer_publish, name="offer_publish"),
    path("dashboard/offers/<uuid:pk>/end/", manage.offer_end, name="offer_end"),
    path("dashboard/grants/<uuid:pk>/revoke/", manage.grant_revoke, name="grant_revoke"),
]

from django.urls import path

from licensing.api import views

urlpatterns = [
    path("characters/", views.CharacterListCreateView.as_view(), name="api-characters"),
    path("characters/<uuid:pk>/", views.CharacterDetailView.as_view(), name="api-character"),
    path(
        "characters/<uuid:pk>/offers/", views.OfferCreateView.as_view(), name="api-character-offers"
    ),
    path(
        "characters/<uuid:pk>/conflict-reports/",
        views.CharacterConflictReportView.as_view(),
        name="api-character-conflict-reports",
    ),
    path(
        "characters/<uuid:pk>/consent/challenge/",
        views.ConsentChallengeView.as_view(),
        name="api-character-consent-challenge",
    ),
    path(
        "characters/<uuid:pk>/consent/", views.ConsentView.as_view(), name="api-character-consent"
    ),
    path("offers/<uuid:pk>/", views.OfferDetailView.as_view(), name="api-offer"),
    path("offers/<uuid:pk>/publish/", views.OfferPublishView.as_view(), name="api-offer-publish"),
    path(
        "offers/<uuid:pk>/new-version/",
        views.OfferNewVersionView.as_view(),
        name="api-offer-new-version",
    ),
    path("offers/<uuid:pk>/odrl/", views.OfferOdrlView.as_view(), name="api-offer-odrl"),
    path("grants/", views.GrantListView.as_view(), name="api-grants"),
    path("grants/<uuid:pk>/", views.GrantDetailView.as_view(), name="api-grant"),
    path("grants/<uuid:pk>/end/", views.GrantEndView.as_view(), name="api-grant-end"),
    path("grants/<uuid:pk>/revoke/", views.GrantRevokeView.as_view(), name="api-grant-revoke"),
    path("grants/<uuid:pk>/decide/", views.GrantDecideView.as_view(), name="api-grant-decide"),
    path("grants/<uuid:pk>/odrl/", views.GrantOdrlView.as_view(), name="api-grant-odrl"),
    path("screen/", views.ScreenView.as_view(), name="api-screen"),
    path("offers/<uuid:pk>/end/", views.OfferEndView.as_view(), name="api-offer-end"),
]

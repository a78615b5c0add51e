from django.urls import path

from marketplace.api import views

urlpatterns = [
    path("generations/", views.GenerationListCreateView.as_view(), name="api-generations"),
    path("generations/<uuid:pk>/", views.GenerationDetailView.as_view(), name="api-generation"),
    path("works/", views.WorkListView.as_view(), name="api-works"),
    path("works/<uuid:pk>/", views.WorkDetailView.as_view(), name="api-work"),
    path("works/<uuid:pk>/split/", views.WorkSplitView.as_view(), name="api-work-split"),
    path("feed/", views.FeedView.as_view(), name="api-feed"),
    path("approvals/", views.ApprovalListView.as_view(), name="api-approvals"),
    path(
        "approvals/<uuid:pk>/decide/",
        views.ApprovalDecideView.as_view(),
        name="api-approval-decide",
    ),
]

from django.urls import path

from marketplace.api import claims, comments, storylines, views

urlpatterns = [
    path("generations/", views.GenerationListCreateView.as_view(), name="api-generations"),
    path("generations/<uuid:pk>/", views.GenerationDetailView.as_view(), name="api-generation"),
    path("works/", views.WorkListView.as_view(), name="api-works"),
    path("works/<uuid:pk>/", views.WorkDetailView.as_view(), name="api-work"),
    path("works/<uuid:pk>/like/", views.WorkLikeView.as_view(), name="api-work-like"),
    path("works/<uuid:pk>/follow/", views.WorkFollowView.as_view(), name="api-work-follow"),
    path(
        "works/<uuid:pk>/comments/", comments.WorkCommentsView.as_view(), name="api-work-comments"
    ),
    path(
        "works/<uuid:pk>/comments/<uuid:comment_pk>/",
        comments.CommentDetailView.as_view(),
        name="api-work-comment",
    ),
    path(
        "works/<uuid:pk>/comments/<uuid:comment_pk>/report/",
        comments.CommentReportView.as_view(),
        name="api-comment-report",
    ),
    path(
        "works/<uuid:pk>/comments/<uuid:comment_pk>/hide/",
        comments.CommentHideView.as_view(),
        name="api-comment-hide",
    ),
    path(
        "works/<uuid:pk>/comments/<uuid:comment_pk>/unhide/",
        comments.CommentUnhideView.as_view(),
        name="api-comment-unhide",
    ),
    path("feed/", views.FeedView.as_view(), name="api-feed"),
    path("feed/following/", views.FollowingFeedView.as_view(), name="api-feed-following"),
    path("storylines/", storylines.StorylineListCreateView.as_view(), name="api-storylines"),
    path(
        "storylines/<uuid:pk>/takes/",
        storylines.StorylineTakesView.as_view(),
        name="api-storyline-takes",
    ),
    path("approvals/", views.ApprovalListView.as_view(), name="api-approvals"),
    path(
        "approvals/<uuid:pk>/decide/",
        views.ApprovalDecideView.as_view(),
        name="api-approval-decide",
    ),
    path("works/<uuid:pk>/claims/", claims.WorkClaimCreateView.as_view(), name="api-work-claims"),
    path("claims/", claims.ClaimListView.as_view(), name="api-claims"),
    path("claims/<uuid:pk>/dispute/", claims.ClaimDisputeView.as_view(), name="api-claim-dispute"),
    path("claims/<uuid:pk>/release/", claims.ClaimReleaseView.as_view(), name="api-claim-release"),
    path(
        "disputes/<uuid:pk>/resolve/",
        claims.DisputeResolveView.as_view(),
        name="api-dispute-resolve",
    ),
    path(
        "disputes/<uuid:pk>/escalate/",
        claims.DisputeEscalateView.as_view(),
        name="api-dispute-escalate",
    ),
]

from django.urls import path

from marketplace.web import approvals, claims, comments, people, social, storylines, views

app_name = "marketplace"

urlpatterns = [
    path("studio/", views.studio, name="studio"),
    path("studio/check/", views.studio_check, name="studio_check"),
    path("studio/requests/<uuid:pk>/", views.generation_detail, name="generation_detail"),
    path("works/mine/", views.my_works, name="my_works"),
    path("works/<uuid:pk>/", views.work_detail, name="work_detail"),
    path("works/<uuid:pk>/delete/", views.work_delete, name="work_delete"),
    path("works/<uuid:pk>/like/", social.work_like, name="work_like"),
    path("works/<uuid:pk>/follow/", social.work_follow, name="work_follow"),
    path("works/<uuid:pk>/comments/", comments.work_comments, name="work_comments"),
    path(
        "works/<uuid:pk>/comments/<uuid:comment_pk>/delete/",
        comments.comment_delete,
        name="comment_delete",
    ),
    path(
        "works/<uuid:pk>/comments/<uuid:comment_pk>/report/",
        comments.comment_report,
        name="comment_report",
    ),
    path(
        "works/<uuid:pk>/comments/<uuid:comment_pk>/hide/",
        comments.comment_hide,
        name="comment_hide",
    ),
    path(
        "works/<uuid:pk>/comments/<uuid:comment_pk>/unhide/",
        comments.comment_unhide,
        name="comment_unhide",
    ),
    path("people/<uuid:pk>/", people.profile, name="profile"),
    path("people/<uuid:pk>/follow/", people.profile_follow, name="profile_follow"),
    path("feed/following/", people.feed_following, name="feed_following"),
    path("characters/<uuid:pk>/works/", social.character_works, name="character_works"),
    path("feed/", views.feed, name="feed"),
    path("verify/", views.verify, name="verify"),
    path(".well-known/tdmrep.json", views.tdmrep, name="tdmrep"),
    path("dashboard/approvals/", approvals.approvals, name="approvals"),
    # Claims and disputes (DESIGN flow 8).
    path("works/<uuid:pk>/claims/", claims.claims_for_work, name="claims_for_work"),
    path("claims/<uuid:pk>/dispute/", claims.claim_dispute, name="claim_dispute"),
    path("disputes/<uuid:pk>/escalate/", claims.dispute_escalate, name="dispute_escalate"),
    path("dashboard/claims/", claims.claims_dashboard, name="claims_dashboard"),
    path("dashboard/claims/<uuid:pk>/release/", claims.claim_release, name="claim_release"),
    path(
        "dashboard/disputes/<uuid:pk>/resolve/",
        claims.dispute_resolve,
        name="dispute_resolve",
    ),
]

urlpatterns += [
    path("storylines/", storylines.storyline_list, name="storyline_list"),
    path("storylines/new/", storylines.storyline_new, name="storyline_new"),
    path("storylines/<uuid:pk>/", storylines.storyline_detail, name="storyline_detail"),
    path("storylines/<uuid:pk>/watch/", storylines.storyline_watch, name="storyline_watch"),
    path("storylines/<uuid:pk>/edit/", storylines.storyline_edit, name="storyline_edit"),
    path("storylines/<uuid:pk>/close/", storylines.storyline_close, name="storyline_close"),
    path(
        "storylines/<uuid:pk>/takes/<uuid:work_pk>/feature/",
        storylines.storyline_feature,
        name="storyline_feature",
    ),
]

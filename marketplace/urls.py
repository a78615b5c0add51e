from django.urls import path

from marketplace import views

app_name = "marketplace"

urlpatterns = [
    path("studio/", views.studio, name="studio"),
    path("studio/check/", views.studio_check, name="studio_check"),
    path("studio/requests/<uuid:pk>/", views.generation_detail, name="generation_detail"),
    path("works/mine/", views.my_works, name="my_works"),
    path("works/<uuid:pk>/", views.work_detail, name="work_detail"),
    path("works/<uuid:pk>/delete/", views.work_delete, name="work_delete"),
    path("feed/", views.feed, name="feed"),
    path("verify/", views.verify, name="verify"),
]

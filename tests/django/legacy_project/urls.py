from django.urls import include, path

urlpatterns = [path("", include("tests.django.legacy_project.demo.urls"))]

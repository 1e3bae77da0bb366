from rest_framework.routers import DefaultRouter

from .views import RoleAssignmentViewSet, UnitViewSet

router = DefaultRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("role-assignments", RoleAssignmentViewSet, basename="role-assignment")

urlpatterns = router.urls

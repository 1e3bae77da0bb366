from rest_framework.routers import SimpleRouter

from .views import RoleAssignmentViewSet, UnitViewSet

router = SimpleRouter()  # merged into the one /api/v1/ router
router.register("units", UnitViewSet, basename="unit")
router.register("role-assignments", RoleAssignmentViewSet, basename="role-assignment")

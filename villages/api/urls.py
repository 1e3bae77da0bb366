from rest_framework.routers import SimpleRouter

from .views import CatalogueTemplateViewSet, RoleAssignmentViewSet, UnitViewSet, VillageCatalogueViewSet

router = SimpleRouter()  # merged into the one /api/v1/ router
router.register("units", UnitViewSet, basename="unit")
router.register("role-assignments", RoleAssignmentViewSet, basename="role-assignment")
router.register("catalogue-templates", CatalogueTemplateViewSet, basename="catalogue-template")
router.register("village-catalogues", VillageCatalogueViewSet, basename="village-catalogue")

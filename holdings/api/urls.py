from rest_framework.routers import SimpleRouter

from .views import CategoryViewSet, FondsViewSet, ItemViewSet, VolumeViewSet

router = SimpleRouter()  # merged into the one /api/v1/ router
router.register("fonds", FondsViewSet, basename="fonds")
router.register("categories", CategoryViewSet, basename="category")
router.register("volumes", VolumeViewSet, basename="volume")
router.register("items", ItemViewSet, basename="item")

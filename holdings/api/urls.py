from rest_framework.routers import SimpleRouter

from .imports import ImportJobViewSet
from .views import CategoryViewSet, CompletenessViewSet, FondsViewSet, ItemViewSet, RecordPushViewSet, VolumeViewSet

router = SimpleRouter()  # merged into the one /api/v1/ router
router.register("fonds", FondsViewSet, basename="fonds")
router.register("categories", CategoryViewSet, basename="category")
router.register("volumes", VolumeViewSet, basename="volume")
router.register("items", ItemViewSet, basename="item")
router.register("imports", ImportJobViewSet, basename="import")
router.register("completeness", CompletenessViewSet, basename="completeness")
router.register("record-pushes", RecordPushViewSet, basename="record-push")

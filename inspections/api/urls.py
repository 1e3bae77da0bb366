from rest_framework.routers import SimpleRouter

from .views import ArchiveRoomViewSet, ClimateReadingViewSet

router = SimpleRouter()  # merged into the one /api/v1/ router
router.register("archive-rooms", ArchiveRoomViewSet, basename="archive-room")
router.register("climate-readings", ClimateReadingViewSet, basename="climate-reading")

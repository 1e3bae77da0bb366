from typing import Any

from rest_framework import serializers

from archives_site.api.fields import MomentField, ScopedRelatedField
from villages.models import Unit

from .. import climate
from ..models import ArchiveRoom, ClimateReading, RoomCheck, RoomStaff, Training


class RoomCheckSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    photos = serializers.IntegerField(source="evidence.count", read_only=True)

    class Meta:
        model = RoomCheck
        fields = ["checklist", "item", "label", "status", "checked_on", "note", "photos"]


class TrainingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Training
        fields = ["date", "title", "organiser", "hours", "certificate"]


class RoomStaffSerializer(serializers.ModelSerializer):
    trainings = TrainingSerializer(many=True, read_only=True)

    class Meta:
        model = RoomStaff
        fields = ["id", "name", "position", "full_time", "since", "left_on", "trainings"]


class ArchiveRoomSerializer(serializers.ModelSerializer):
    """A room's facilities; its checklists and staff are read here and recorded on the pages."""

    unit = ScopedRelatedField(queryset=Unit.objects.all())
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    checks = RoomCheckSerializer(many=True, read_only=True)
    staff = RoomStaffSerializer(many=True, read_only=True)

    class Meta:
        model = ArchiveRoom
        fields = [
            "id",
            "unit",
            "unit_name",
            "location",
            "area_m2",
            "cabinets",
            "equipment",
            "note",
            "checks",
            "staff",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        validators: list[Any] = []  # one room per unit: the service says so in words

    def validate_unit(self, unit: Unit) -> Unit:
        if self.instance is not None and unit.pk != self.instance.unit_id:
            raise serializers.ValidationError("A room stays with its unit.")
        return unit


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    readings = serializers.IntegerField()
    excursions = serializers.IntegerField(help_text="readings outside the temperature or the humidity range")
    too_cold = serializers.IntegerField()
    too_hot = serializers.IntegerField()
    too_dry = serializers.IntegerField()
    too_damp = serializers.IntegerField()


class ClimateReadingSerializer(serializers.ModelSerializer):
    unit = ScopedRelatedField(queryset=Unit.objects.all())
    taken_at = MomentField()
    flags = serializers.SerializerMethodField(help_text="too_cold, too_hot, too_dry, too_damp; empty when in range")

    class Meta:
        model = ClimateReading
        fields = ["id", "unit", "room", "taken_at", "temperature", "humidity", "source", "flags", "recorded_at"]
        read_only_fields = ["room", "source", "recorded_at"]
        validators: list[Any] = []

    def get_flags(self, reading: ClimateReading) -> list[str]:
        return climate.flags(reading)


class ClimateImportSerializer(serializers.Serializer):
    unit = ScopedRelatedField(queryset=Unit.objects.all())
    file = serializers.FileField(help_text="a logger's CSV export with time, temperature and humidity columns")


class ClimateImportResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    skipped = serializers.IntegerField()
    excursions = serializers.IntegerField()

"""``/api/v1/calendar-days/``: the working-day calendar's recorded days, and deadlines on it.

Every staff role reads the calendar and asks for deadlines; only the county administrator adds,
changes and removes days (through :mod:`archives_site.workdays`, audited). The calendar belongs
to no unit: there is nothing out of reach to hide, only actions a role may not take (403).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from villages.roles import WORKDAY_CALENDAR

from .. import workdays
from ..filters import YearFilter
from ..models import CALENDAR_YEAR_MAX, CALENDAR_YEAR_MIN, CalendarDay, CalendarDayKind
from .errors import ERROR_RESPONSES
from .viewsets import ScopedViewSetMixin

# A deadline asked of the API: a year of working days at most (the archives' are 2 to 5).
MAX_API_DAYS = 366


class CalendarDaySerializer(serializers.ModelSerializer):
    """A recorded exception: a weekday holiday (休) or a weekend make-up working day (班)."""

    changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")

    class Meta:
        model = CalendarDay
        fields = ["id", "date", "kind", "name", "source", "changed_by", "changed_at"]
        read_only_fields = ["source", "changed_by", "changed_at"]
        extra_kwargs = {"date": {"validators": []}}  # a date recorded already: the service answers

    def validate_date(self, value: Any) -> Any:
        if self.instance is not None and value != self.instance.date:
            raise serializers.ValidationError(
                _("The date of a recorded day cannot change: remove this day and add the other one.")
            )
        if not CALENDAR_YEAR_MIN <= value.year <= CALENDAR_YEAR_MAX:
            raise serializers.ValidationError(
                _("Give a day between the years %(low)s and %(high)s.")
                % {"low": CALENDAR_YEAR_MIN, "high": CALENDAR_YEAR_MAX}
            )
        return value


class DeadlineQuerySerializer(serializers.Serializer):
    start = serializers.DateField(help_text="The day the request arrived (YYYY-MM-DD, local time).")
    days = serializers.IntegerField(min_value=0, max_value=MAX_API_DAYS, help_text="Working days allowed.")

    def validate_start(self, value: Any) -> Any:
        if not CALENDAR_YEAR_MIN <= value.year <= CALENDAR_YEAR_MAX:
            raise serializers.ValidationError(
                _("Give a day between the years %(low)s and %(high)s.")
                % {"low": CALENDAR_YEAR_MIN, "high": CALENDAR_YEAR_MAX}
            )
        return value


class DeadlineSerializer(serializers.Serializer):
    """A deadline and whether the calendar it was reckoned on is known."""

    start = serializers.DateField(source="arrived", help_text="The day the request arrived.")
    counted_from = serializers.DateField(
        help_text="The working day the count starts from: the start, or the next working day after a rest day."
    )
    days = serializers.IntegerField(source="working_days", help_text="Working days allowed.")
    deadline = serializers.DateField(
        source="day", help_text="The last day: the days-th working day after counted_from."
    )
    confirmed = serializers.BooleanField(
        help_text="False when a year on the way has no confirmed holidays: the deadline was reckoned on weekends "
        "there and may move when its holidays are announced."
    )
    unconfirmed_years = serializers.ListField(
        child=serializers.IntegerField(), help_text="The years on the way whose holidays are not known yet."
    )


class CalendarDayFilterSet(django_filters.FilterSet):
    year = YearFilter(field_name="date__year", label="year")
    kind = django_filters.ChoiceFilter(choices=CalendarDayKind.choices)

    class Meta:
        model = CalendarDay
        fields = ["year", "kind"]


@extend_schema_view(
    list=extend_schema(summary="The days the working-day calendar records (filter by ?year=)"),
    create=extend_schema(summary="Record a day as a holiday (休) or a make-up working day (班) — county administrator"),
    partial_update=extend_schema(summary="Change a recorded day's kind or name — county administrator"),
    destroy=extend_schema(summary="Remove a recorded day — county administrator"),
)
class CalendarDayViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The exceptions to "Monday to Friday work, Saturday and Sunday rest": public holidays on
    weekdays and make-up working days (调休) on weekends, official or entered by the bureau."""

    scope_resource = WORKDAY_CALENDAR  # the calendar has no unit: roles decide, nothing is out of reach
    queryset = CalendarDay.objects.select_related("changed_by").order_by("date")
    serializer_class = CalendarDaySerializer
    filterset_class = CalendarDayFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> Any:
        return self.queryset.all()

    def get_object(self) -> Any:
        self.kwargs[self.lookup_field] = self._pk()
        return super(ScopedViewSetMixin, self).get_object()

    def _pk(self) -> int:
        from django.http import Http404

        from ..filters import whole_number

        pk = whole_number(str(self.kwargs.get(self.lookup_field, "")))
        if pk is None:
            raise Http404
        return pk

    def check_write_scope(self, instance: Any, action: Any) -> None:
        pass  # the services require the reach themselves (archives_site.scoping.require_reach)

    def save_new(self, serializer: Any) -> CalendarDay:
        data = serializer.validated_data
        row, _changed = workdays.calendar_day_set(
            actor=self.request.user,
            day=data["date"],
            kind=data["kind"],
            name=data.get("name", ""),
            replace=False,
            request=self.request,
        )
        return row

    def save_changes(self, serializer: Any) -> CalendarDay:
        row = serializer.instance
        data = serializer.validated_data
        updated, _changed = workdays.calendar_day_set(
            actor=self.request.user,
            day=row.date,
            kind=data.get("kind", row.kind),
            name=data.get("name", row.name),  # a partial update applies no defaults
            request=self.request,
        )
        return updated

    def remove(self, instance: CalendarDay) -> None:
        workdays.calendar_day_remove(actor=self.request.user, day=instance.date, request=self.request)

    @extend_schema(
        summary="The deadline of something arriving on ?start= and due in ?days= working days",
        parameters=[DeadlineQuerySerializer],
        responses={200: DeadlineSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Spring Festival 2024",
                value={
                    "start": "2024-02-08",
                    "counted_from": "2024-02-08",
                    "days": 4,
                    "deadline": "2024-02-20",
                    "confirmed": True,
                    "unconfirmed_years": [],
                },
                response_only=True,
            )
        ],
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def deadline(self, request: Any) -> Response:
        """The n-th working day after the day something arrives (a request arriving on a rest day
        counts from the next working day), and whether every year on the way has its holidays
        confirmed — when not, the deadline was reckoned on weekends there and may move."""
        query = DeadlineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = workdays.add_working_days(query.validated_data["start"], query.validated_data["days"])
        return Response(DeadlineSerializer(result).data)


router = SimpleRouter()  # merged into the one /api/v1/ router
router.register("calendar-days", CalendarDayViewSet, basename="calendar-day")

"""The working-day calendar (archives_site.workdays): deadlines on the official calendar, the
bureau's own days, the page at /calendar/ and the API at /api/v1/calendar-days/.

Official cases are checked by hand against the State Council's notices (国务院办公厅关于
2024年/2025年部分节假日安排的通知).
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from archives_site import workdays
from archives_site.models import AuditEvent, CalendarDay, CalendarSource, CalendarYear
from archives_site.scoping import SYSTEM
from archives_site.tasks import workday_calendar_check
from tests.factories import PASSWORD, RoleAssignmentFactory, UserFactory
from tests.permission_suite import ApiPermissionSuite, HtmlPermissionSuite, PageCase, PermissionCase
from villages.roles import Role

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def official(db):
    """The official calendars of 2024 and 2025, as the package ships them."""
    workdays.calendar_load_package(actor=SYSTEM, years=[2024, 2025])


def _today(monkeypatch, day: dt.date) -> None:
    """Make ``timezone.localdate()`` (what the page, the check and the dashboard call) answer ``day``."""
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, tz=None: day if value is None else real(value, tz))


def _login(client, user, language: str = ""):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    if language:
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


# --- deadlines on the official calendar -------------------------------------------------------------------


def test_spring_festival_2024_four_working_days_from_thursday_8_february_end_on_tuesday_20(official):
    deadline = workdays.add_working_days(D(2024, 2, 8), 4)
    # Fri 9 (1), Sun 18 worked (2), Mon 19 (3), Tue 20 (4); 10–17 February off.
    assert deadline.day == D(2024, 2, 20)
    assert deadline.counted_from == D(2024, 2, 8)
    assert deadline.confirmed and deadline.unconfirmed_years == ()
    assert workdays.is_working_day(D(2024, 2, 4))  # Sunday, worked
    assert workdays.is_working_day(D(2024, 2, 18))  # Sunday, worked
    assert not any(workdays.is_working_day(D(2024, 2, day)) for day in range(10, 18))


def test_national_day_2025_is_eight_days_off_with_two_weekend_working_days(official):
    assert workdays.is_working_day(D(2025, 9, 28))  # Sunday, worked
    assert workdays.is_working_day(D(2025, 10, 11))  # Saturday, worked
    assert not any(workdays.is_working_day(D(2025, 10, day)) for day in range(1, 9))
    # A loan of 5 working days from Fri 26 Sep: Sun 28, Mon 29, Tue 30, Thu 9 Oct, Fri 10 Oct.
    assert workdays.add_working_days(D(2025, 9, 26), 5).day == D(2025, 10, 10)
    # The receiving point's 2 days from Thu 9 Oct: Fri 10, Sat 11 (worked).
    assert workdays.add_working_days(D(2025, 10, 9), 2).day == D(2025, 10, 11)


def test_a_request_arriving_on_a_holiday_counts_from_the_next_working_day(official):
    deadline = workdays.add_working_days(D(2025, 10, 1), 2)
    assert deadline.counted_from == D(2025, 10, 9)
    assert deadline.day == D(2025, 10, 11)
    assert workdays.add_working_days(D(2025, 10, 3), 0).day == D(2025, 10, 9)
    # Its local day decides: 00:30 on 1 October in Shanghai is still 30 September in UTC.
    just_after_midnight = dt.datetime(2025, 9, 30, 16, 30, tzinfo=dt.UTC)
    assert workdays.add_working_days(just_after_midnight, 2).day == D(2025, 10, 11)
    late_on_the_30th = dt.datetime(2025, 9, 30, 23, 30, tzinfo=SHANGHAI)
    assert workdays.add_working_days(late_on_the_30th, 2).day == D(2025, 10, 10)
    with pytest.raises(ValueError):
        workdays.add_working_days(dt.datetime(2025, 9, 30, 9, 0), 2)  # naive: which day is it?


def test_working_days_between_counts_as_the_deadline_counts(official):
    assert workdays.working_days_between(D(2024, 2, 8), D(2024, 2, 20)).days == 4
    assert workdays.working_days_between(D(2025, 10, 1), D(2025, 10, 9)).days == 0
    start = D(2024, 1, 1)
    for offset in range(0, 400, 7):
        for n in (0, 1, 2, 4, 5, 23):
            arrived = start + dt.timedelta(days=offset)
            deadline = workdays.add_working_days(arrived, n)
            assert workdays.working_days_between(arrived, deadline.day).days == n, (arrived, n)
    with pytest.raises(ValueError):
        workdays.working_days_between(D(2024, 2, 20), D(2024, 2, 8))


def test_a_year_not_known_is_reckoned_on_weekends_only_and_says_so(db):
    workdays.calendar_load_package(actor=SYSTEM, years=[2025])  # 2026 is left unknown
    deadline = workdays.add_working_days(D(2025, 12, 30), 4)
    # Wed 31 Dec, then 2026 on weekends alone: Thu 1 Jan (New Year's Day, not known), Fri 2, Mon 5.
    assert deadline.day == D(2026, 1, 5)
    assert not deadline.confirmed
    assert deadline.unconfirmed_years == (2026,)
    assert workdays.is_working_day(D(2026, 1, 1)) and not workdays.year_is_confirmed(2026)
    count = workdays.working_days_between(D(2025, 12, 30), D(2026, 1, 5))
    assert count.days == 4 and count.unconfirmed_years == (2026,)
    assert workdays.add_working_days(D(2025, 10, 9), 2).confirmed


def test_counts_outside_the_bounds_are_refused(official):
    for n in (-1, workdays.MAX_WORKING_DAYS + 1, True, 2.0):
        with pytest.raises(ValueError):
            workdays.add_working_days(D(2024, 2, 8), n)
    with pytest.raises(ValueError):
        workdays.add_working_days(D(9999, 12, 30), 5)


def test_missing_years_are_this_and_next_year_when_not_confirmed(official):
    assert workdays.missing_years(D(2025, 3, 1)) == [2026]
    assert workdays.missing_years(D(2024, 3, 1)) == []
    assert workdays.next_year_overdue(D(2025, 9, 30)) is None  # not due before October
    assert workdays.next_year_overdue(D(2025, 10, 1)) == 2026


# --- queries and the cache ---------------------------------------------------------------------------------


def test_each_computation_reads_the_calendar_in_one_query_and_then_none(official, django_assert_max_num_queries):
    computations = [
        lambda: workdays.add_working_days(D(2024, 12, 20), 60),  # spans two years
        lambda: workdays.working_days_between(D(2024, 1, 1), D(2025, 12, 31)),
        lambda: workdays.missing_years(D(2025, 10, 1)),
        lambda: workdays.is_working_day(D(2025, 10, 8)),
    ]
    for compute in computations:
        workdays.forget(range(2023, 2028))
        with django_assert_max_num_queries(1):
            first = compute()
        with django_assert_max_num_queries(0):  # cached now
            assert compute() == first
    # By hand: 7 working days left in 2024, January 19 (1 Jan and 28 Jan–4 Feb off, Sun 26 Jan worked),
    # February 19 (Sat 8 Feb worked), then 15 in March: Friday 21 March.
    assert workdays.add_working_days(D(2024, 12, 20), 60).day == D(2025, 3, 21)


def test_a_change_is_seen_at_once_despite_the_cache(official, county_admin):
    assert workdays.is_working_day(D(2025, 10, 13))  # cached: an ordinary Monday
    workdays.calendar_day_set(actor=county_admin, day=D(2025, 10, 13), kind="holiday", name="县庆")
    assert not workdays.is_working_day(D(2025, 10, 13))
    workdays.calendar_day_remove(actor=county_admin, day=D(2025, 10, 13))
    assert workdays.is_working_day(D(2025, 10, 13))
    assert not workdays.year_is_confirmed(2027)
    workdays.calendar_day_set(actor=county_admin, day=D(2027, 2, 8), kind="holiday", name="春节")
    workdays.calendar_year_confirm(actor=county_admin, year=2027)
    assert workdays.year_is_confirmed(2027)
    assert cache.get(workdays._cache_key(2027)).confirmed


# --- loading the official calendar ---------------------------------------------------------------------------


def test_the_official_calendar_loads_with_chinese_names_and_only_exceptions(official):
    names = dict(CalendarDay.objects.values_list("date", "name"))
    assert names[D(2024, 1, 1)] == "元旦"
    assert names[D(2024, 2, 12)] == "春节"
    assert names[D(2024, 4, 4)] == "清明节"
    assert names[D(2024, 5, 1)] == "劳动节"
    assert names[D(2024, 6, 10)] == "端午节"
    assert names[D(2024, 9, 16)] == "中秋节"
    assert names[D(2024, 10, 1)] == "国庆节"
    assert names[D(2024, 2, 4)] == "春节"  # the make-up working Sunday
    assert D(2024, 2, 10) not in names  # a holiday's Saturday is a rest day anyway
    assert set(CalendarYear.objects.filter(confirmed_at__isnull=False).values_list("year", flat=True)) == {2024, 2025}
    assert not CalendarDay.objects.exclude(source=CalendarSource.PACKAGE).exists()


def test_loading_again_changes_nothing(official):
    before = list(CalendarDay.objects.order_by("date").values_list("date", "kind", "name", "source"))
    events = AuditEvent.objects.count()
    call_command("load_workday_calendar", "--years", "2024-2025")
    result = workdays.calendar_load_package(actor=SYSTEM, years=[2024, 2025], refresh=True)
    assert (result.added, result.changed, result.removed) == (0, 0, 0)
    assert list(CalendarDay.objects.order_by("date").values_list("date", "kind", "name", "source")) == before
    assert AuditEvent.objects.count() == events + 1  # the refresh re-read the years: recorded once


def test_a_day_the_bureau_entered_survives_a_reload(official, county_admin):
    workdays.calendar_day_set(actor=county_admin, day=D(2025, 10, 8), kind="holiday", name="国庆节（本县）")
    workdays.calendar_day_set(actor=county_admin, day=D(2025, 10, 9), kind="holiday", name="县庆")
    workdays.calendar_day_remove(actor=county_admin, day=D(2025, 10, 7))
    call_command("load_workday_calendar")
    assert not CalendarDay.objects.filter(date=D(2025, 10, 7)).exists()  # removal kept on a plain reload
    workdays.calendar_load_package(actor=SYSTEM, years=[2025], refresh=True)
    kept = CalendarDay.objects.get(date=D(2025, 10, 8))
    assert (kept.name, kept.source, kept.changed_by) == ("国庆节（本县）", CalendarSource.BUREAU, county_admin)
    assert CalendarDay.objects.get(date=D(2025, 10, 9)).name == "县庆"
    assert CalendarDay.objects.get(date=D(2025, 10, 7)).source == CalendarSource.PACKAGE  # --refresh restores it
    assert not workdays.is_working_day(D(2025, 10, 9))


def test_the_command_refuses_years_it_cannot_hold(db):
    from django.core.management.base import CommandError

    for bad in ("0", "99999", "2026-2020", "20x5", "1899-1900"):
        with pytest.raises(CommandError):
            call_command("load_workday_calendar", "--years", bad)
    assert not CalendarDay.objects.exists()


# --- services: who may write, what is refused ---------------------------------------------------------------


def test_only_the_county_administrator_writes_and_nobody_without_an_actor(official, county_archivist):
    for actor in (county_archivist, None):
        with pytest.raises(PermissionDenied):
            workdays.calendar_day_set(actor=actor, day=D(2025, 10, 13), kind="holiday")
        with pytest.raises(PermissionDenied):
            workdays.calendar_day_remove(actor=actor, day=D(2025, 10, 1))
        with pytest.raises(PermissionDenied):
            workdays.calendar_year_confirm(actor=actor, year=2026)
        with pytest.raises(PermissionDenied):
            workdays.calendar_load_package(actor=actor)
    assert not CalendarDay.objects.filter(date=D(2025, 10, 13)).exists()
    assert CalendarDay.objects.filter(date=D(2025, 10, 1)).exists()


def test_a_day_that_is_no_exception_is_refused_with_a_reason(official, county_admin):
    with pytest.raises(ValidationError) as saturday:
        workdays.calendar_day_set(actor=county_admin, day=D(2025, 10, 18), kind="holiday")
    assert "2025-10-18 是周六或周日" in str(saturday.value)
    with pytest.raises(ValidationError) as wednesday:
        workdays.calendar_day_set(actor=county_admin, day=D(2025, 10, 15), kind="workday")
    assert "2025-10-15 是工作日" in str(wednesday.value)
    with pytest.raises(ValidationError):
        workdays.calendar_day_set(actor=county_admin, day=D(2025, 10, 13), kind="holiday", name="县\x00庆")
    with pytest.raises(ValidationError):
        workdays.calendar_year_confirm(actor=county_admin, year=2030)  # nothing recorded in it
    with pytest.raises(ValidationError):
        workdays.calendar_year_confirm(actor=county_admin, year=99999)
    assert not CalendarDay.objects.filter(date__in=[D(2025, 10, 18), D(2025, 10, 15), D(2025, 10, 13)]).exists()


def test_recording_the_same_day_twice_is_recorded_once(official, county_admin):
    events = AuditEvent.objects.count()
    _row, first = workdays.calendar_day_set(actor=county_admin, day=D(2025, 10, 13), kind="holiday", name="县庆")
    _row, second = workdays.calendar_day_set(actor=county_admin, day=D(2025, 10, 13), kind="holiday", name="县庆")
    assert (first, second) == (True, False)
    assert workdays.calendar_day_remove(actor=county_admin, day=D(2025, 10, 13))
    assert not workdays.calendar_day_remove(actor=county_admin, day=D(2025, 10, 13))
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[events:] == ["calendar.day_add", "calendar.day_delete"]


# --- pasting a year's list -------------------------------------------------------------------------------------

GOOD_2027 = """# 2027 (example)
2027-01-01 休 元旦
2027-01-02 休 元旦
2027-02-07 班 春节
2027-02-08 休 春节
"""


def test_a_pasted_list_with_bad_lines_names_each_and_records_nothing(county_admin):
    text = (
        GOOD_2027
        + "2027-13-01 休 春节\n2027-02-09 假 春节\n2027-02-10 班 春节\n2026-12-31 休 元旦\n2027-02-08 休 春节\n"
    )
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        workdays.calendar_paste(actor=county_admin, year=2027, text=text)
    problems = refused.value.messages
    assert [problem.split(":")[0] for problem in problems] == ["Line 6", "Line 7", "Line 8", "Line 9", "Line 10"]
    assert "“2027-13-01” is not a date" in problems[0]
    assert "休 (day off) or 班" in problems[1]
    assert "2027-02-10 is a Wednesday" in problems[2]
    assert "not in 2027" in problems[3]
    assert "given already on line 5" in problems[4]
    assert not CalendarDay.objects.exists()
    assert not AuditEvent.objects.filter(action="calendar.paste").exists()


def test_a_good_pasted_list_is_recorded_once_and_may_confirm_the_year(county_admin):
    result = workdays.calendar_paste(actor=county_admin, year=2027, text=GOOD_2027, confirm=True)
    assert result.added == [D(2027, 1, 1), D(2027, 2, 7), D(2027, 2, 8)]
    assert result.weekend_skipped == [D(2027, 1, 2)]  # a Saturday: a rest day anyway
    assert result.confirmed and workdays.year_is_confirmed(2027)
    assert CalendarYear.objects.get(year=2027).confirmed_by == county_admin
    again = workdays.calendar_paste(actor=county_admin, year=2027, text=GOOD_2027)
    assert again.added == again.changed == [] and len(again.unchanged) == 3
    assert AuditEvent.objects.filter(action="calendar.paste").count() == 1
    assert not workdays.is_working_day(D(2027, 2, 8)) and workdays.is_working_day(D(2027, 2, 7))


# --- the daily check ----------------------------------------------------------------------------------------------


def test_the_daily_check_warns_from_october_and_records_it_once(official, caplog, monkeypatch):
    _today(monkeypatch, D(2025, 9, 30))
    assert workday_calendar_check.delay().get() is None
    assert not CalendarYear.objects.filter(year=2026).exists()
    _today(monkeypatch, D(2025, 10, 1))
    with caplog.at_level(logging.WARNING, logger="archives_site.workdays"):
        assert workday_calendar_check.delay().get() == 2026
        assert workday_calendar_check.delay().get() == 2026
    assert "calendar of 2026 is not confirmed" in caplog.text
    assert CalendarYear.objects.get(year=2026).missing_noticed_at is not None
    assert AuditEvent.objects.filter(action="calendar.year_missing").count() == 1


def test_the_county_administrator_sees_the_missing_year_on_the_home_page(
    official, client, county_admin, county_archivist, monkeypatch
):
    _today(monkeypatch, D(2025, 10, 2))
    workdays.calendar_check(actor=SYSTEM)
    page = _login(client, county_admin).get("/").content.decode()
    assert 'data-panel="calendar"' in page and "2026" in page
    assert 'data-panel="calendar"' not in _login(client, county_archivist).get("/").content.decode()
    _today(monkeypatch, D(2025, 9, 2))
    assert 'data-panel="calendar"' not in _login(client, county_admin).get("/").content.decode()


# --- the page -------------------------------------------------------------------------------------------------------


def test_the_page_shows_the_year_as_twelve_months_with_its_days_off_and_worked(official, client, village_archivist):
    page = _login(client, village_archivist).get("/calendar/?year=2024").content.decode()
    assert page.count('data-testid="calendar-month"') == 12
    assert 'data-date="2024-02-12" data-kind="holiday"' in page
    assert 'data-date="2024-02-10" data-kind="holiday"' in page  # the festival's Saturday, shown as off
    assert 'data-date="2024-02-18" data-kind="workday"' in page
    assert 'data-date="2024-02-24" data-kind="weekend"' in page
    assert 'data-date="2024-02-20" data-kind=""' in page
    assert "春节" in page and "国庆节" in page
    assert 'data-testid="day-form"' not in page and 'data-testid="paste-form"' not in page  # read only


def test_the_page_warns_when_next_year_is_not_confirmed(official, client, county_archivist, monkeypatch):
    _today(monkeypatch, D(2025, 10, 2))
    page = _login(client, county_archivist, "en").get("/calendar/").content.decode()
    assert 'data-testid="calendar-next-year-missing"' in page and "alert-danger" in page
    assert "Next year's calendar (2026) is not confirmed" in page
    _today(monkeypatch, D(2024, 10, 2))
    assert 'data-testid="calendar-next-year-missing"' not in client.get("/calendar/").content.decode()


@pytest.mark.parametrize("year", ["0", "99999", "abc", "%00", "-5", "2024.5", "9" * 40])
def test_a_year_out_of_range_is_a_clear_400(client, village_archivist, year):
    response = _login(client, village_archivist, "en").get(f"/calendar/?year={year}")
    assert response.status_code == 400
    if year != "%00":  # a NUL byte is refused before any page, by the site's own 400 page
        assert "Give a year between 1900 and 2100." in response.content.decode()


def test_the_administrator_records_changes_and_removes_a_day_on_the_page(official, client, county_admin):
    c = _login(client, county_admin, "en")
    form = c.get("/calendar/?year=2025&date=2025-10-11").content.decode()
    assert 'value="2025-10-11"' in form and 'value="workday" selected' in form  # prefilled from the day
    response = c.post("/calendar/day/", {"date": "2025-10-13", "kind": "holiday", "name": "县庆"}, follow=True)
    assert response.redirect_chain[-1][0] == "/calendar/?year=2025#month-10"
    assert "2025-10-13 is recorded." in response.content.decode()
    again = c.post("/calendar/day/", {"date": "2025-10-13", "kind": "holiday", "name": "县庆"}, follow=True)
    assert "Nothing changed" in again.content.decode()
    assert AuditEvent.objects.filter(action="calendar.day_add").count() == 1
    c.post("/calendar/day/remove/", {"date": "2025-10-13"})
    second = c.post("/calendar/day/remove/", {"date": "2025-10-13"}, follow=True)
    assert "Nothing to remove" in second.content.decode()
    assert not CalendarDay.objects.filter(date=D(2025, 10, 13)).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"date": "99999-01-01", "kind": "holiday"},
        {"date": "0001-01-03", "kind": "holiday"},
        {"date": "2025-10-13", "kind": "holiday", "name": "县\x00庆"},
        {"date": "2025-10-13", "kind": "nothing"},
        {"date": "2025-10-18", "kind": "holiday"},  # a Saturday
        {"date": "\x00", "kind": "holiday"},
    ],
)
def test_bad_input_on_the_page_is_a_form_error_and_saves_nothing(official, client, county_admin, payload):
    before = CalendarDay.objects.count()
    response = _login(client, county_admin).post("/calendar/day/", payload)
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode() or "alert-danger" in response.content.decode()
    assert CalendarDay.objects.count() == before


def test_the_paste_box_names_the_bad_lines_and_records_nothing(client, county_admin):
    c = _login(client, county_admin, "en")
    response = c.post("/calendar/paste/", {"year": "2027", "text": GOOD_2027 + "2027-02-31 休 春节\n"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="paste-errors"' in body and "Line 6:" in body and "2027-02-31" in body
    assert not CalendarDay.objects.exists()
    for bad in ({"year": "0", "text": GOOD_2027}, {"year": "2027", "text": "2027-01-01 休 元\x00旦"}):
        assert c.post("/calendar/paste/", bad).status_code == 400
    done = c.post("/calendar/paste/", {"year": "2027", "text": GOOD_2027, "confirm": "on"}, follow=True)
    assert "3 days added" in done.content.decode()
    assert workdays.year_is_confirmed(2027)


def test_confirming_a_year_on_the_page_twice_is_harmless(official, client, county_admin):
    c = _login(client, county_admin, "en")
    workdays.calendar_day_set(actor=county_admin, day=D(2027, 2, 8), kind="holiday", name="春节")
    assert "is confirmed" in c.post("/calendar/confirm/", {"year": "2027"}, follow=True).content.decode()
    assert "confirmed already" in c.post("/calendar/confirm/", {"year": "2027"}, follow=True).content.decode()
    assert AuditEvent.objects.filter(action="calendar.year_confirm").count() == 1
    assert c.post("/calendar/confirm/", {"year": "99999"}).status_code == 400
    assert c.post("/calendar/confirm/", {"year": "2030"}).status_code == 400  # nothing recorded in 2030


class TestCalendarPages(HtmlPermissionSuite):
    """Every staff role reads every year; only the county administrator writes. The calendar
    has no unit, so "out of scope" is another year: not on this year's page."""

    @pytest.fixture
    def case(self, official, village_archivist, no_role_user):
        mine = workdays.calendar_day_set(actor=SYSTEM, day=D(2024, 10, 14), kind="holiday", name="甲县庆")[0]
        other = workdays.calendar_day_set(actor=SYSTEM, day=D(2025, 10, 13), kind="holiday", name="乙县庆")[0]
        return PageCase(
            list_url="/calendar/?year=2024",
            detail_url=lambda day: f"/calendar/?year={day.date.year}",
            reader=village_archivist,
            in_scope=mine,
            out_of_scope=other,
            no_role_user=no_role_user,
            list_marker=lambda day: day.name,
            edit_url=lambda day: "/calendar/day/",
            edit_payload={"date": "2024-10-14", "kind": "holiday", "name": "改过"},
            readable_not_writable=mine,
        )

    def test_detail_in_scope_is_200_and_out_of_scope_404(self, case, client):
        # Replaces the unit-scope check: every year is readable; a year the calendar cannot hold is a 400.
        c = self._client(client, case.reader)
        assert c.get(case.detail_url(case.in_scope)).status_code == 200
        assert c.get(case.detail_url(case.out_of_scope)).status_code == 200
        assert c.get("/calendar/?year=3000").status_code == 400

    def test_edit_out_of_scope_is_404_and_saves_nothing(self, case, client):
        # Replaces the unit-scope check: each write of a reader is a 403, and nothing changes.
        before = list(CalendarDay.objects.order_by("pk").values())
        c = self._client(client, case.reader)
        for url, payload in [
            ("/calendar/day/", {"date": "2025-10-13", "kind": "holiday", "name": "改过"}),
            ("/calendar/day/remove/", {"date": "2025-10-13"}),
            ("/calendar/confirm/", {"year": "2026"}),
            ("/calendar/paste/", {"year": "2027", "text": GOOD_2027}),
        ]:
            assert c.post(url, payload).status_code == 403
        assert list(CalendarDay.objects.order_by("pk").values()) == before
        assert not CalendarYear.objects.filter(year__in=[2026, 2027]).exists()


# --- the API -----------------------------------------------------------------------------------------------------------


class TestCalendarDayApiPermissions(ApiPermissionSuite):
    """As the pages: every staff role reads, only the county administrator writes (403 else)."""

    @pytest.fixture
    def case(self, official, village_archivist, no_role_user):
        def more(n: int) -> None:
            for week in range(n):
                workdays.calendar_day_set(actor=SYSTEM, day=D(2030, 1, 7) + dt.timedelta(weeks=week), kind="holiday")

        return PermissionCase(
            list_url="/api/v1/calendar-days/",
            reader=village_archivist,
            in_scope=CalendarDay.objects.get(date=D(2024, 2, 12)),
            out_of_scope=CalendarDay.objects.get(date=D(2025, 10, 1)),
            no_role_user=no_role_user,
            write_out_of_scope=("post", "/api/v1/calendar-days/", {"date": "2025-10-13", "kind": "holiday"}),
            make_more_in_scope=more,
            max_list_queries=6,
        )

    def test_list_shows_only_rows_in_scope(self, case, api):
        # Replaces the unit-scope check: the calendar is the installation's; ?year= narrows it.
        rows = api(case.reader).get(case.list_url, {"year": 2024, "page_size": 500}).json()["results"]
        dates = {row["date"] for row in rows}
        assert case.in_scope.date.isoformat() in dates and case.out_of_scope.date.isoformat() not in dates
        assert {row["date"][:4] for row in rows} == {"2024"}

    def test_detail_out_of_scope_is_404(self, case, api):
        # Replaces the unit-scope check: every day is readable; an id that is none is a 404.
        client = api(case.reader)
        assert client.get(case.detail_url(case.out_of_scope)).status_code == 200
        for pk in ("999999999", "9" * 30, "abc", "0"):
            assert client.get(f"{case.list_url}{pk}/").status_code == 404


def test_an_external_system_has_no_calendar(api, network):
    external = UserFactory(username="external_cal")
    RoleAssignmentFactory(user=external, role=Role.EXTERNAL_SYSTEM, unit=network.county)
    assert api(external).get("/api/v1/calendar-days/").status_code == 403


def test_the_api_answers_a_deadline_and_whether_its_year_is_known(db, api, lookup_operator):
    workdays.calendar_load_package(actor=SYSTEM, years=[2024, 2025])
    client = api(lookup_operator)
    body = client.get("/api/v1/calendar-days/deadline/", {"start": "2024-02-08", "days": 4}).json()
    assert body == {
        "start": "2024-02-08",
        "counted_from": "2024-02-08",
        "days": 4,
        "deadline": "2024-02-20",
        "confirmed": True,
        "unconfirmed_years": [],
    }
    late = client.get("/api/v1/calendar-days/deadline/", {"start": "2025-12-30", "days": 4}).json()
    assert (late["deadline"], late["confirmed"], late["unconfirmed_years"]) == ("2026-01-05", False, [2026])
    for bad in (
        {"start": "2024-02-08", "days": -1},
        {"start": "2024-02-08", "days": 10**30},
        {"start": "0001-01-01", "days": 2},
        {"start": "99999-01-01", "days": 2},
        {"start": "2024-02-08\x00", "days": 2},
        {"days": 2},
    ):
        response = client.get("/api/v1/calendar-days/deadline/", bad)
        assert response.status_code == 400, bad
        assert response.json()["detail"]


def test_the_county_administrator_keeps_days_over_the_api(official, api, county_admin):
    client = api(county_admin)
    created = client.post("/api/v1/calendar-days/", {"date": "2025-10-13", "kind": "holiday", "name": "县庆"})
    assert created.status_code == 201 and created.json()["source"] == "bureau"
    assert created.json()["changed_by"] == "county_admin"
    twice = client.post("/api/v1/calendar-days/", {"date": "2025-10-13", "kind": "holiday", "name": "县庆"})
    assert twice.status_code == 201 and twice.json()["id"] == created.json()["id"]  # a resent request is harmless
    clash = client.post("/api/v1/calendar-days/", {"date": "2025-10-13", "kind": "holiday", "name": "别的"})
    assert clash.status_code == 400
    url = f"/api/v1/calendar-days/{created.json()['id']}/"
    assert client.patch(url, {"name": "县庆日"}).json()["name"] == "县庆日"
    assert client.patch(url, {"date": "2025-10-14"}).status_code == 400
    assert client.patch(url, {"name": "x" * 51}).status_code == 400
    assert client.patch(url, {"name": "县\x00庆"}).status_code == 400
    assert not workdays.is_working_day(D(2025, 10, 13))
    assert client.delete(url).status_code == 204
    assert workdays.is_working_day(D(2025, 10, 13))
    for bad in (
        {"date": "99999-01-01", "kind": "holiday"},
        {"date": "0001-01-01", "kind": "holiday"},
        {"date": "2025-10-18", "kind": "holiday"},
        {"date": "2025-10-14", "kind": "rest"},
    ):
        assert client.post("/api/v1/calendar-days/", bad).status_code == 400, bad
    assert not CalendarDay.objects.filter(date__in=[D(2025, 10, 13), D(2025, 10, 14), D(2025, 10, 18)]).exists()
    assert set(AuditEvent.objects.filter(action__startswith="calendar.day").values_list("action", flat=True)) == {
        "calendar.day_add",
        "calendar.day_change",
        "calendar.day_delete",
    }

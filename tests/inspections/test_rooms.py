"""Archive rooms: facilities, the 八防 and 七有 checklists with evidence photos, staff and their
trainings, and the climate log whose excursions (outside 14–24 °C or 45–60 % RH) are counted
per month — by hand, from a logger's CSV, and through the API; another unit's room is 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from archives_site.models import AuditEvent
from inspections import climate, rooms
from inspections.models import ArchiveRoom, Checklist, ClimateReading, RoomEvidence
from tests.factories import PASSWORD, RoleAssignmentFactory, UserFactory, photo
from tests.permission_suite import ApiPermissionSuite, PermissionCase
from villages.roles import Role


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def inspector(network):
    user = UserFactory(username="inspector")
    RoleAssignmentFactory(user=user, role=Role.INSPECTOR, unit=network.township_a)
    return user


def at(text: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(text))


# A logger's export as Chinese logger software writes it: GBK, two lines of metadata above the
# header, units in the cells. Planted: March has 2 excursions of 4 readings (26.5 °C too hot;
# 62 % too damp), April 3 of 3 (13.9 °C too cold; 44.9 % too dry; both at once counts once).
LOGGER_CSV = """设备编号,TH-2020-0042
记录间隔,6小时
时间,温度(℃),湿度(%RH)
2026/3/1 08:00,18.0℃,50.0%
2026/3/1 14:00,26.5℃,55.0%
2026/3/2 08:00,24.0℃,60.0%
2026/3/2 14:00,20.0℃,62.0%
2026/4/1 08:00,13.9,50
2026/4/1 14:00,20,44.9
2026/4/2 08:00,30,70
"""


def logger_file(text: str = LOGGER_CSV, encoding: str = "gbk", name: str = "TH-2020-0042.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_a_logger_file_with_planted_excursions_is_counted_exactly_per_month(network, village_archivist):
    result = climate.readings_import(actor=village_archivist, unit=network.village_a1, upload=logger_file())
    assert (result.added, result.skipped, result.excursions) == (7, 0, 5)
    readings = ClimateReading.objects.filter(unit=network.village_a1)
    months = {m.month.strftime("%Y-%m"): m for m in climate.monthly(readings)}
    march, april = months["2026-03"], months["2026-04"]
    assert (march.readings, march.excursions, march.too_hot, march.too_damp) == (4, 2, 1, 1)
    assert (march.too_cold, march.too_dry) == (0, 0)  # 24.0 °C and 60.0 % are still inside
    assert (april.readings, april.excursions) == (3, 3)
    assert (april.too_cold, april.too_hot, april.too_dry, april.too_damp) == (1, 1, 1, 1)
    assert readings.get(taken_at=at("2026-03-01 14:00")).temperature == Decimal("26.5")
    # The same file again adds nothing; the log says what was skipped.
    again = climate.readings_import(actor=village_archivist, unit=network.village_a1, upload=logger_file())
    assert (again.added, again.skipped) == (0, 7)
    assert readings.count() == 7
    event = AuditEvent.objects.filter(action="room.readings_import").earliest("seq")
    assert event.data["added"] == 7 and event.data["excursions"] == 5 and event.unit_id == network.village_a1.pk


def test_the_ranges_come_from_the_settings(network, village_archivist, settings):
    settings.CLIMATE_TEMPERATURE_RANGE = (10, 30)
    settings.CLIMATE_HUMIDITY_RANGE = (40, 65)
    result = climate.readings_import(actor=village_archivist, unit=network.village_a1, upload=logger_file())
    assert result.excursions == 1  # only 30 °C / 70 % of 2 April


def test_a_file_with_bad_rows_imports_nothing_and_names_them(network, village_archivist):
    bad = "Time,Temperature,Humidity\n2026-03-01 08:00,18,50\n2026-13-01 08:00,18,50\n2026-03-02 08:00,warm,50\n2026-03-03 08:00,18,150\n"
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        climate.readings_import(actor=village_archivist, unit=network.village_a1, upload=logger_file(bad, "utf-8"))
    with translation.override("en"):
        text = " ".join(caught.value.messages)
    assert "Row 3" in text and "Row 4" in text and "Row 5" in text and "Row 2" not in text
    assert not ClimateReading.objects.exists() and not ArchiveRoom.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "just some text\nwithout any header\n",
        "Time,Temperature\n2026-03-01 08:00,18\n",
        "\x00\x01binary",
    ],
)
def test_files_that_are_no_logger_export_are_refused_with_what_to_do(network, village_archivist, text):
    with pytest.raises(ValidationError):
        climate.readings_import(actor=village_archivist, unit=network.village_a1, upload=logger_file(text, "utf-8"))
    assert not ClimateReading.objects.exists()


def test_separate_date_and_time_columns_and_semicolons_are_read(network, village_archivist):
    text = "日期;时间;温度;湿度\n2026-05-01;08:00;21,0;55\n2026-05-01;14:00;22.5;58\n".replace("21,0", "21.0")
    result = climate.readings_import(
        actor=village_archivist, unit=network.village_a1, upload=logger_file(text, "utf-8")
    )
    assert result.added == 2
    assert ClimateReading.objects.filter(taken_at=at("2026-05-01 14:00"), humidity=58).exists()


def test_a_reading_by_hand_is_flagged_and_not_taken_twice(network, village_archivist):
    reading = climate.reading_add(
        actor=village_archivist,
        unit=network.village_a1,
        taken_at=at("2026-07-01 09:00"),
        temperature="27.3",
        humidity="58",
    )
    assert climate.flags(reading) == ["too_hot"]
    with pytest.raises(ValidationError):
        climate.reading_add(
            actor=village_archivist,
            unit=network.village_a1,
            taken_at=at("2026-07-01 09:00"),
            temperature=20,
            humidity=50,
        )
    with pytest.raises(ValidationError):
        climate.reading_add(
            actor=village_archivist,
            unit=network.village_a1,
            taken_at=timezone.now() + dt.timedelta(days=1),
            temperature=20,
            humidity=50,
        )
    with pytest.raises(ValidationError):
        climate.reading_add(
            actor=village_archivist,
            unit=network.village_a1,
            taken_at=at("2026-07-02 09:00"),
            temperature="NaN",
            humidity=50,
        )


def test_a_checklist_item_keeps_its_evidence_photos_and_date(network, village_archivist, client):
    check = rooms.check_record(
        actor=village_archivist,
        unit=network.village_a1,
        checklist=Checklist.EIGHT_PROTECTIONS,
        item="fire",
        status="met",
        checked_on=dt.date(2026, 11, 20),
        note="两具干粉灭火器，有效期至2028年",
        photos=[photo("extinguisher.jpg", "red"), photo("sign.jpg", "white")],
    )
    assert (check.evidence.count() == 2 and str(check.label).startswith("Fire")) or "防火" in str(check.label)
    event = AuditEvent.objects.filter(action="room.check").latest("seq")
    assert event.data["photos"] == 2 and event.data["checked_on"] == "2026-11-20"
    client.login(username="village_archivist", password=PASSWORD)
    page = client.get(reverse("inspections:room-detail", args=[network.village_a1.pk]))
    assert page.status_code == 200
    evidence = RoomEvidence.objects.filter(room_check=check).first()
    assert reverse("inspections:evidence-image", args=[evidence.pk, "thumbnail"]) in page.content.decode()
    assert client.get(reverse("inspections:evidence-image", args=[evidence.pk, "reference"])).status_code == 200


def test_a_bad_photo_records_nothing(network, village_archivist):
    broken = SimpleUploadedFile("broken.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(ValidationError) as caught:
        rooms.check_record(
            actor=village_archivist,
            unit=network.village_a1,
            checklist="qiyou",
            item="rules",
            status="met",
            checked_on=dt.date(2026, 11, 20),
            photos=[photo("ok.jpg"), broken],
        )
    assert "broken.jpg" in " ".join(caught.value.messages)
    assert not ArchiveRoom.objects.exists() and not RoomEvidence.objects.exists()


def test_unknown_items_future_dates_and_bad_statuses_are_refused(network, village_archivist):
    base = {"actor": village_archivist, "unit": network.village_a1, "checked_on": dt.date(2026, 1, 5), "status": "met"}
    for change in ({"checklist": "bafang", "item": "flood"}, {"checklist": "other", "item": "fire"}):
        with pytest.raises(ValidationError):
            rooms.check_record(**{**base, **change})
    with pytest.raises(ValidationError):
        rooms.check_record(**{**base, "checklist": "bafang", "item": "fire", "status": "perfect"})
    with pytest.raises(ValidationError):
        rooms.check_record(
            **{**base, "checklist": "bafang", "item": "fire", "checked_on": timezone.localdate() + dt.timedelta(days=1)}
        )


def test_staff_and_their_trainings(network, village_archivist):
    staff = rooms.staff_save(
        actor=village_archivist,
        unit=network.village_a1,
        data={"name": "王秀英", "position": "村档案员", "full_time": False, "since": dt.date(2019, 3, 1)},
    )
    training = rooms.training_add(
        actor=village_archivist,
        unit=network.village_a1,
        staff=staff,
        data={
            "date": dt.date(2025, 6, 12),
            "title": "村级档案规范化管理培训",
            "organiser": "区档案馆",
            "hours": Decimal("8"),
        },
    )
    assert list(staff.trainings.all()) == [training]
    with pytest.raises(ValidationError):
        rooms.staff_save(
            actor=village_archivist,
            unit=network.village_a1,
            staff=staff,
            data={"since": dt.date(2019, 3, 1), "left_on": dt.date(2018, 1, 1)},
        )


def test_another_units_room_is_out_of_reach(network, village_archivist, other_village_archivist, client):
    climate.readings_import(actor=village_archivist, unit=network.village_a1, upload=logger_file())
    with pytest.raises(PermissionDenied):
        rooms.room_update(actor=other_village_archivist, unit=network.village_a1, data={"location": "x"})
    with pytest.raises(PermissionDenied):
        climate.reading_add(
            actor=other_village_archivist,
            unit=network.village_a1,
            taken_at=at("2026-06-01 08:00"),
            temperature=20,
            humidity=50,
        )
    client.login(username="other_village_archivist", password=PASSWORD)
    for name in ("room-detail", "room-edit", "climate", "staff-create"):
        assert client.get(reverse(f"inspections:{name}", args=[network.village_a1.pk])).status_code == 404, name
    assert (
        client.get(reverse("inspections:check-edit", args=[network.village_a1.pk, "bafang", "fire"])).status_code == 404
    )
    assert network.village_a1.name not in client.get(reverse("inspections:room-list")).content.decode()


def test_the_inspector_reads_rooms_but_records_nothing(network, village_archivist, inspector, client):
    climate.readings_import(actor=village_archivist, unit=network.village_a1, upload=logger_file())
    with pytest.raises(PermissionDenied):
        rooms.room_update(actor=inspector, unit=network.village_a1, data={"location": "x"})
    client.login(username="inspector", password=PASSWORD)
    page = client.get(reverse("inspections:climate", args=[network.village_a1.pk]))
    assert page.status_code == 200
    assert 'data-testid="climate-import"' not in page.content.decode()
    assert client.get(reverse("inspections:room-edit", args=[network.village_a1.pk])).status_code == 403
    upload = client.post(
        reverse("inspections:climate", args=[network.village_a1.pk]), {"form": "import", "file": logger_file()}
    )
    assert upload.status_code == 403 and ClimateReading.objects.count() == 7


def test_the_climate_page_shows_the_months_and_only_the_excursions_on_request(network, village_archivist, client):
    client.login(username="village_archivist", password=PASSWORD)
    url = reverse("inspections:climate", args=[network.village_a1.pk])
    response = client.post(url, {"form": "import", "file": logger_file()}, follow=True)
    assert "7" in response.content.decode() and ClimateReading.objects.count() == 7
    months = response.context["months"]
    assert [(f"{m.month:%Y-%m}", m.excursions) for m in months if m.month.year == 2026][-2:] == [
        ("2026-03", 2),
        ("2026-04", 3),
    ] or not months  # months older than a year are not drawn
    only = client.get(url, {"excursions": "1"})
    assert len(list(only.context["page_obj"])) == 5


def test_the_room_list_counts_what_is_met(network, village_archivist, township_officer, client):
    for item in ("fire", "theft", "damp"):
        rooms.check_record(
            actor=village_archivist,
            unit=network.village_a1,
            checklist="bafang",
            item=item,
            status="met" if item != "damp" else "partly",
            checked_on=dt.date(2026, 11, 1),
        )
    client.login(username="township_officer", password=PASSWORD)
    rows = {row["unit"].pk: row for row in client.get(reverse("inspections:room-list")).context["rows"]}
    assert rows[network.village_a1.pk]["bafang"] == 2 and rows[network.village_a2.pk]["room"] is None
    assert network.village_b1.pk not in rows


# --- API ----------------------------------------------------------------------------------------------


class TestArchiveRoomPermissions(ApiPermissionSuite):
    @pytest.fixture
    def case(self, network, village_archivist, no_role_user):
        mine = rooms.room_update(actor=village_archivist, unit=network.village_a1, data={"location": "村委会二楼"})
        other = ArchiveRoom.objects.create(unit=network.village_b1, location="白沙村")

        def more(n):
            for unit in [network.village_a2, network.township_a][:n]:
                ArchiveRoom.objects.get_or_create(unit=unit)

        return PermissionCase(
            list_url="/api/v1/archive-rooms/",
            reader=village_archivist,
            in_scope=mine,
            out_of_scope=other,
            no_role_user=no_role_user,
            # The township's name is in reach (the unit above), its room is not.
            write_out_of_scope=("post", "/api/v1/archive-rooms/", {"unit": network.township_a.pk, "location": "x"}),
            make_more_in_scope=more,
            max_list_queries=12,
        )


class TestClimateReadingPermissions(ApiPermissionSuite):
    @pytest.fixture
    def case(self, network, village_archivist, other_village_archivist, no_role_user):
        climate.readings_import(actor=village_archivist, unit=network.village_a1, upload=logger_file())
        climate.readings_import(actor=other_village_archivist, unit=network.village_b1, upload=logger_file())
        mine = ClimateReading.objects.filter(unit=network.village_a1).first()
        other = ClimateReading.objects.filter(unit=network.village_b1).first()

        def more(n):
            for i in range(n):
                climate.reading_add(
                    actor=village_archivist,
                    unit=network.village_a1,
                    taken_at=at("2026-08-01 08:00") + dt.timedelta(hours=i),
                    temperature=20,
                    humidity=50,
                )

        return PermissionCase(
            list_url="/api/v1/climate-readings/",
            reader=village_archivist,
            in_scope=mine,
            out_of_scope=other,
            no_role_user=no_role_user,
            write_out_of_scope=(
                "post",
                "/api/v1/climate-readings/",
                {
                    "unit": network.township_a.pk,
                    "taken_at": "2026-09-01T08:00:00+08:00",
                    "temperature": "20",
                    "humidity": "50",
                },
            ),
            make_more_in_scope=more,
            max_list_queries=8,
        )


def test_the_api_imports_a_logger_file_and_counts_months(api, network, village_archivist):
    client = api(village_archivist)
    upload = client.post(
        "/api/v1/climate-readings/import/", {"unit": network.village_a1.pk, "file": logger_file()}, format="multipart"
    )
    assert upload.status_code == 201, upload.json()
    assert upload.json() == {"added": 7, "skipped": 0, "excursions": 5}
    room = ArchiveRoom.objects.get(unit=network.village_a1)
    months = client.get(f"/api/v1/archive-rooms/{room.pk}/climate/").json()
    assert [(m["month"], m["readings"], m["excursions"]) for m in months] == [
        ("2026-03-01", 4, 2),
        ("2026-04-01", 3, 3),
    ]
    only = client.get("/api/v1/climate-readings/", {"excursions": "true", "unit": network.village_a1.pk}).json()
    assert only["count"] == 5 and all(row["flags"] for row in only["results"])
    bad = client.post(
        "/api/v1/climate-readings/import/",
        {"unit": network.village_a1.pk, "file": logger_file("no header\n", "utf-8")},
        format="multipart",
    )
    assert bad.status_code == 400 and bad.json()["detail"]


def test_the_api_refuses_a_second_room_for_a_unit_and_the_inspector_writes(api, network, village_archivist, inspector):
    client = api(village_archivist)
    created = client.post("/api/v1/archive-rooms/", {"unit": network.village_a1.pk, "area_m2": "24.5", "cabinets": 6})
    assert created.status_code == 201 and created.json()["area_m2"] == "24.5"
    again = client.post("/api/v1/archive-rooms/", {"unit": network.village_a1.pk})
    assert again.status_code == 400
    assert api(inspector).get(f"/api/v1/archive-rooms/{created.json()['id']}/").status_code == 200
    assert api(inspector).patch(f"/api/v1/archive-rooms/{created.json()['id']}/", {"note": "x"}).status_code == 403

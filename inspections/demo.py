"""Demo archive rooms: the archive, 青石镇 and its villages keep rooms, checked unevenly (some
complete, some far behind), with staff, trainings, a year of climate readings in three rooms
(summer damp and heat included) and two evidence photos. Idempotent."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from archives_site.scoping import SYSTEM
from villages import demo as village_demo
from villages.models import Unit

from . import rooms
from .models import CHECKLIST_ITEMS, ArchiveRoom, ClimateReading, ReadingSource

STAFF = ["王秀英", "李建军", "陈美华", "刘国庆", "赵小燕", "孙立新", "周海燕", "吴志明", "郑丽娟", "钱卫东"]


def _picture(label: str, colour: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (800, 600), colour)
    ImageDraw.Draw(image).rectangle((200, 150, 600, 450), outline="white", width=12)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return SimpleUploadedFile(f"{label}.jpg", out.getvalue(), content_type="image/jpeg")


def _climate(room: ArchiveRoom, rng: random.Random, *, damp: bool) -> None:
    """Two readings a day for a year: mild in spring and autumn, summer heat and (in a damp
    village room) plum-rain humidity, a few cold winter mornings."""
    today = timezone.localdate()
    readings = []
    for offset in range(365, 0, -1):
        day = today - dt.timedelta(days=offset)
        season = {6: 3.5, 7: 5.0, 8: 4.5, 12: -3.0, 1: -4.5, 2: -3.5}.get(day.month, 0.0)
        for hour in (9, 15):
            temperature = 19 + season + rng.uniform(-2.5, 2.5) + (1.5 if hour == 15 else 0)
            humidity = 52 + (9 if damp and day.month in (5, 6, 7) else 0) + rng.uniform(-6, 6)
            readings.append(
                ClimateReading(
                    room=room,
                    unit=room.unit,
                    taken_at=timezone.make_aware(dt.datetime.combine(day, dt.time(hour))),
                    temperature=Decimal(f"{temperature:.1f}"),
                    humidity=Decimal(f"{min(humidity, 99):.1f}"),
                    source=ReadingSource.LOGGER,
                )
            )
    ClimateReading.objects.bulk_create(readings, ignore_conflicts=True)


@transaction.atomic
def seed_rooms(*, seed: int = 2026) -> dict[str, int]:
    if ArchiveRoom.objects.exists():
        return {"rooms": ArchiveRoom.objects.count()}
    rng = random.Random(seed)
    county = village_demo.COUNTY[0]
    archive = Unit.objects.get(code=village_demo.ARCHIVE[0])
    township = Unit.objects.get(code=f"{county}101")
    villages = list(Unit.objects.filter(parent=township).order_by("code"))
    checked_on = timezone.localdate() - dt.timedelta(days=20)
    plan = [(archive, 1.0), (township, 0.9)] + [
        (v, [1.0, 0.9, 0.8, 0.6, 0.4, 0.2, 0.0][i % 7]) for i, v in enumerate(villages)
    ]
    for index, (unit, share) in enumerate(plan):
        rooms.room_update(
            actor=SYSTEM,
            unit=unit,
            data={
                "location": "办公楼三楼" if unit == archive else "村委会二楼东侧" if unit in villages else "镇政府二楼",
                "area_m2": Decimal("860") if unit == archive else Decimal(rng.choice([18, 24, 30, 36])),
                "cabinets": 420 if unit == archive else rng.randint(4, 16),
                "equipment": "空调\n除湿机\n灭火器\n温湿度计" + ("\n密集架\n监控" if unit == archive else ""),
            },
        )
        for checklist, items in CHECKLIST_ITEMS.items():
            for key, _label in items:
                roll = rng.random()
                if roll > share + 0.15:
                    continue  # not checked yet
                status = "met" if roll < share else "partly" if roll < share + 0.1 else "not_met"
                rooms.check_record(
                    actor=SYSTEM, unit=unit, checklist=checklist, item=key, status=status, checked_on=checked_on
                )
        if share:
            staff = rooms.staff_save(
                actor=SYSTEM,
                unit=unit,
                data={
                    "name": STAFF[index % len(STAFF)],
                    "position": "档案员" if unit != archive else "保管利用科科长",
                    "full_time": unit in (archive, township),
                    "since": dt.date(2012 + index % 10, 3, 1),
                },
            )
            rooms.training_add(
                actor=SYSTEM,
                unit=unit,
                staff=staff,
                data={
                    "date": dt.date(2025, 6, 12),
                    "title": "村级档案规范化管理培训",
                    "organiser": "青溪区档案馆",
                    "hours": 8,
                },
            )
    first_village = villages[0]
    rooms.check_record(
        actor=SYSTEM,
        unit=first_village,
        checklist="bafang",
        item="fire",
        status="met",
        checked_on=checked_on,
        note="两具干粉灭火器，有效期至2028年",
        photos=[_picture("灭火器", "firebrick"), _picture("消防标识", "seagreen")],
    )
    for unit, damp in ((archive, False), (township, False), (first_village, True)):
        _climate(ArchiveRoom.objects.get(unit=unit), rng, damp=damp)
    return {"rooms": ArchiveRoom.objects.count()}

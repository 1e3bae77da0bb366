"""Reference data kept as data, not constants: DA/T 13-2022 categories, retention periods and
the two reference-code templates (DA/T 22-2015 default; DA/T 13-2022 single-segment, selectable
by giving a fonds its own template). Bureaus edit these in the admin."""

from django.db import migrations

CATEGORIES = [
    # code, name, parent code, arrangement
    ("WS", "文书", None, "item"),
    ("KJ", "科技", None, "project"),
    ("KJ·KY", "科研", "KJ", "project"),
    ("KJ·JJ", "基建", "KJ", "project"),
    ("KJ·SB", "设备", "KJ", "project"),
    ("RS", "人事", None, "volume"),
    ("KU", "会计", None, "volume"),
    ("KU·01", "会计凭证", "KU", "volume"),
    ("KU·02", "会计账簿", "KU", "volume"),
    ("KU·03", "财务会计报告", "KU", "volume"),
    ("KU·04", "其他会计资料", "KU", "volume"),
    ("ZY", "专业", None, "volume"),
    ("ZP", "照片", None, "item"),
    ("LY", "录音", None, "item"),
    ("LX", "录像", None, "item"),
    ("SJ", "业务数据", None, "item"),
    ("YJ", "公务电子邮件", None, "item"),
    ("WY", "网页信息", None, "item"),
    ("MT", "社交媒体", None, "item"),
    ("SW", "实物", None, "item"),
]

RETENTION = [
    # code, name, years, legacy, maps to
    ("Y", "永久", None, False, None),
    ("D30", "定期30年", 30, False, None),
    ("D10", "定期10年", 10, False, None),
    ("C", "长期（旧）", None, True, "D30"),
    ("D", "短期（旧）", None, True, "D10"),
]

DAT22 = [
    {"sep": "", "field": "fonds"},
    {"sep": "-", "field": "category"},
    {"sep": "·", "field": "year"},
    {"sep": "-", "field": "retention"},
    {"sep": "-", "field": "org"},
    {"sep": "-", "field": "volume"},
    {"sep": "-", "field": "number"},
]


def forwards(apps, schema_editor):
    Category = apps.get_model("holdings", "Category")
    RetentionPeriod = apps.get_model("holdings", "RetentionPeriod")
    Template = apps.get_model("holdings", "ReferenceCodeTemplate")
    by_code = {}
    for order, (code, name, parent, arrangement) in enumerate(CATEGORIES):
        by_code[code], _ = Category.objects.get_or_create(
            code=code,
            defaults={"name": name, "parent": by_code.get(parent), "arrangement": arrangement, "sort_order": order},
        )
    periods = {}
    for order, (code, name, years, legacy, maps_to) in enumerate(RETENTION):
        periods[code], _ = RetentionPeriod.objects.get_or_create(
            code=code,
            defaults={"name": name, "years": years, "is_legacy": legacy, "maps_to": periods.get(maps_to), "sort_order": order},
        )
    Template.objects.get_or_create(
        fonds=None, category=None, defaults={"name": "DA/T 22-2015", "parts": DAT22, "number_width": 4, "volume_width": 3}
    )


class Migration(migrations.Migration):
    dependencies = [("holdings", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

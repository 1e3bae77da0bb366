"""factory_boy factories. Units and role assignments go through the services, as in production."""

import factory
from django.contrib.auth import get_user_model

from archives_site.scoping import SYSTEM
from villages import services
from villages.models import RoleAssignment, Unit, UnitKind

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", PASSWORD)
        user, created = model_class.objects.get_or_create(username=kwargs.pop("username"), defaults=kwargs)
        if created:
            user.set_password(password)
            user.save()
        return user


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"T{n:06d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = UnitKind.VILLAGE
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.unit_create(actor=SYSTEM, **kwargs)


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = "village_archivist"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.role_assignment_create(actor=SYSTEM, **kwargs)


def category(code: str = "WS"):
    from holdings.models import Category

    return Category.objects.get(code=code)


def retention(code: str = "Y"):
    from holdings.models import RetentionPeriod

    return RetentionPeriod.objects.get(code=code)


class FondsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "holdings.Fonds"

    code = factory.Sequence(lambda n: f"T{n:04d}")  # never one of the fixed codes tests name (C101, J001)
    name = factory.Sequence(lambda n: f"测试村民委员会全宗{n}")
    creating_unit = factory.SubFactory(UnitFactory)
    custodian_unit = factory.SelfAttribute("creating_unit")


class ItemFactory(factory.django.DjangoModelFactory):
    """A filed item (numbered and coded by the service) unless ``file=False``."""

    class Meta:
        model = "holdings.Item"

    fonds = factory.SubFactory(FondsFactory)
    category = factory.LazyFunction(category)
    retention = factory.LazyFunction(retention)
    year = 2015
    org_code = "BGS"
    title = factory.Sequence(lambda n: f"关于村务公开工作的通知（第{n}号）")
    responsible = "青石村民委员会"

    @classmethod
    def _create(cls, model_class, *args, file=True, **kwargs):
        from holdings import services

        return services.item_create(actor=SYSTEM, file=file, **kwargs)


class VolumeFactory(ItemFactory):
    """A filed volume (案卷); its items are ``ItemFactory(volume=...)``."""

    class Meta:
        model = "holdings.Volume"

    title = factory.Sequence(lambda n: f"青石村村务公开材料（第{n}卷）")

    @classmethod
    def _create(cls, model_class, *args, file=True, **kwargs):
        from holdings import services

        return services.volume_create(actor=SYSTEM, file=file, **kwargs)


def photo(name: str, colour: str = "white", size: tuple[int, int] = (1200, 1600), fmt: str = "JPEG"):
    """An uploaded image, as a phone or a scanner sends it."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, dpi=(300, 300))
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")

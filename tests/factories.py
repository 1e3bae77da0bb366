"""factory_boy factories. Units and role assignments go through the services, as in production."""

import factory
from django.contrib.auth import get_user_model

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
        return services.unit_create(actor=None, **kwargs)


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = "village_archivist"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.role_assignment_create(actor=None, **kwargs)

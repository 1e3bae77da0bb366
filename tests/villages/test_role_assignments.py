import pytest

from archives_site.models import AuditEvent
from tests.factories import RoleAssignmentFactory, UnitFactory, UserFactory
from tests.permission_suite import ApiPermissionSuite, PermissionCase
from villages.models import RoleAssignment
from villages.roles import Role

ROLES = "/api/v1/role-assignments/"


class TestRoleAssignmentPermissions(ApiPermissionSuite):
    """A township officer sees and grants roles inside the township only."""

    @pytest.fixture
    def case(self, network, township_officer, village_archivist, other_village_archivist, lookup_operator):
        newcomer = UserFactory(username="newcomer")

        def make_more(n):
            for _ in range(n):
                RoleAssignmentFactory(unit=UnitFactory(parent=network.township_a))

        return PermissionCase(
            list_url=ROLES,
            reader=township_officer,
            in_scope=village_archivist.role_assignments.get(),
            out_of_scope=other_village_archivist.role_assignments.get(),
            no_role_user=lookup_operator,  # a lookup operator has no business with role assignments
            # Granting on the county (visible to the officer as an ancestor) would reach beyond the township.
            write_out_of_scope=(
                "post",
                ROLES,
                {"user": newcomer.username, "role": Role.VILLAGE_ARCHIVIST, "unit": network.county.pk},
            ),
            make_more_in_scope=make_more,
            max_list_queries=5,
        )


def test_township_officer_grants_village_archivist_in_the_township(api, network, township_officer):
    newcomer = UserFactory(username="newcomer")
    response = api(township_officer).post(
        ROLES, {"user": "newcomer", "role": Role.VILLAGE_ARCHIVIST, "unit": network.village_a2.pk}
    )
    assert response.status_code == 201, response.content
    assert newcomer.has_perm("villages.role_village_archivist", network.village_a2)
    event = AuditEvent.objects.filter(action="role.grant").latest("seq")
    assert event.actor == township_officer
    assert event.data == {"user": "newcomer", "role": "village_archivist", "unit": network.village_a2.code}


def test_township_officer_cannot_grant_a_role_wider_than_allowed(api, network, township_officer):
    UserFactory(username="newcomer")
    response = api(township_officer, language="zh-hans").post(
        ROLES, {"user": "newcomer", "role": Role.TOWNSHIP_OFFICER, "unit": network.township_a.pk}
    )
    assert response.status_code == 403
    assert "乡镇档案员" in response.json()["detail"]
    assert not RoleAssignment.objects.filter(user__username="newcomer").exists()


def test_township_officer_cannot_grant_in_a_village_it_cannot_see(api, network, township_officer):
    UserFactory(username="newcomer")
    response = api(township_officer).post(
        ROLES, {"user": "newcomer", "role": Role.VILLAGE_ARCHIVIST, "unit": network.village_b1.pk}
    )
    # The other township's village does not exist for this officer.
    assert response.status_code == 400
    assert "unit" in response.json()["fields"]
    assert not RoleAssignment.objects.filter(user__username="newcomer").exists()


def test_role_must_fit_the_kind_of_unit(api, network, county_admin):
    UserFactory(username="newcomer")
    response = api(county_admin).post(
        ROLES, {"user": "newcomer", "role": Role.VILLAGE_ARCHIVIST, "unit": network.township_a.pk}
    )
    assert response.status_code == 400
    assert "unit" in response.json()["fields"]


def test_revoking_a_role_removes_reach_and_is_audited(api, network, county_admin, village_archivist):
    assignment = village_archivist.role_assignments.get()
    assert api(village_archivist).get(f"/api/v1/units/{network.village_a1.pk}/").status_code == 200
    response = api(county_admin).delete(f"{ROLES}{assignment.pk}/")
    assert response.status_code == 204
    assert not village_archivist.has_perm("villages.role_village_archivist", network.village_a1)
    assert api(village_archivist).get(f"/api/v1/units/{network.village_a1.pk}/").status_code == 403
    assert AuditEvent.objects.filter(action="role.revoke", object_id=str(assignment.pk)).exists()


def test_village_archivist_sees_own_village_roles_but_cannot_grant(api, network, village_archivist):
    client = api(village_archivist)
    assert client.get(ROLES).status_code == 200
    UserFactory(username="newcomer")
    response = client.post(ROLES, {"user": "newcomer", "role": Role.VILLAGE_ARCHIVIST, "unit": network.village_a1.pk})
    assert response.status_code == 403

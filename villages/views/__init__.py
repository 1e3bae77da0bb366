"""Staff pages of the network, one module per area: units, role grants, people and accounts.
``villages.urls`` names them all from here."""

from .roles import role_grant, role_revoke
from .units import RoleAssignmentListView, UnitDetailView, UnitListView, unit_create, unit_update
from .users import (
    password_change,
    user_create,
    user_deactivate,
    user_detail,
    user_list,
    user_password_reset,
    user_reactivate,
    user_token_issue,
    user_token_revoke,
    user_update,
)

__all__ = [
    "RoleAssignmentListView",
    "UnitDetailView",
    "UnitListView",
    "password_change",
    "role_grant",
    "role_revoke",
    "unit_create",
    "unit_update",
    "user_create",
    "user_deactivate",
    "user_detail",
    "user_list",
    "user_password_reset",
    "user_reactivate",
    "user_token_issue",
    "user_token_revoke",
    "user_update",
]

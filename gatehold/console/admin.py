"""Administration pages: users, groups, roles, policies, account settings, through
the IAM services, and switch role. One module per area; each page goes through actions.invoke."""

from __future__ import annotations

from starlette.routing import Route

from gatehold.console import (
    admin_account,
    admin_groups,
    admin_policies,
    admin_roles,
    admin_users,
    switch_role,
)
from gatehold.console.web import Web


def routes(web: Web) -> list[Route]:
    return [
        *admin_users.UserPages(web).routes(),
        *admin_groups.GroupPages(web).routes(),
        *admin_roles.RolePages(web).routes(),
        *admin_policies.PolicyPages(web).routes(),
        *admin_account.routes(web),
        *switch_role.routes(web),
    ]

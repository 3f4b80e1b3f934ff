"""Administration pages: users, groups, roles, policies, account settings, through
the IAM services, and switch role. One module per area; each page goes through actions.invoke."""

from __future__ import annotations

from starlette.routing import Route

from gatehold.console.admin import account, groups, policies, roles, users
from gatehold.console.signin import switch_role
from gatehold.console.web import Web


def routes(web: Web) -> list[Route]:
    return [
        *users.UserPages(web).routes(),
        *groups.GroupPages(web).routes(),
        *roles.RolePages(web).routes(),
        *policies.PolicyPages(web).routes(),
        *account.routes(web),
        *switch_role.routes(web),
    ]

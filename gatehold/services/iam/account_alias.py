"""The account alias: the friendly name that stands for the account ID in the
sign-in URL. An account has at most one; an alias belongs to one account in the
whole store, as in AWS, where aliases are globally unique.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from gatehold.errors import AwsError
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam.errors import entity_already_exists, no_such_entity, quota_exceeded
from gatehold.services.iam.listing import listed, page_list
from gatehold.store import accounts


def _taken(alias: str) -> AwsError:
    # Unconfirmed text.
    return entity_already_exists(f"The account alias {alias} already exists.")


def create_account_alias(call: Call, params: Params) -> Result:
    call.authorize("iam:CreateAccountAlias", "*")
    # The protocol layer checks the model's pattern: lower case, digits, single hyphens.
    alias = params["AccountAlias"]
    account_id = call.ctx.principal.account_id
    holder = accounts.by_alias(call.db, alias)
    if holder is not None:
        raise _taken(alias)
    account = accounts.get(call.db, account_id)
    assert account is not None
    if account.alias is not None:
        raise quota_exceeded("AccountAliasesPerAccount", 1)
    try:
        accounts.set_alias(call.db, account_id, alias)
    except IntegrityError as exc:  # another account took it concurrently (PostgreSQL)
        raise _taken(alias) from exc
    return {}


def delete_account_alias(call: Call, params: Params) -> Result:
    call.authorize("iam:DeleteAccountAlias", "*")
    alias = params["AccountAlias"]
    account = accounts.get(call.db, call.ctx.principal.account_id)
    assert account is not None
    if account.alias != alias:
        # Unconfirmed text.
        raise no_such_entity(f"The account alias {alias} cannot be found.")
    accounts.set_alias(call.db, account.account_id, None)
    return {}


def list_account_aliases(call: Call, params: Params) -> Result:
    call.authorize("iam:ListAccountAliases", "*")
    account = accounts.get(call.db, call.ctx.principal.account_id)
    assert account is not None
    aliases = [account.alias] if account.alias else []
    return listed("AccountAliases", page_list(params, aliases, lambda a: a))


HANDLERS = {
    "CreateAccountAlias": create_account_alias,
    "DeleteAccountAlias": delete_account_alias,
    "ListAccountAliases": list_account_aliases,
}

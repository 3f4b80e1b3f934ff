"""Service-specific credentials: a user name and password (CodeCommit Git
credentials, Amazon Keyspaces) or a long-term API key (Amazon Bedrock,
CloudWatch Logs) that only work for one service.

The password or key secret is generated here, returned once (on create and
reset) and sealed at rest. CreateServiceSpecificCredential's documentation:
"a maximum of two sets of service-specific credentials for each supported
service per user"; CredentialAgeDays (1-36600) is only valid for the API-key
services, whose credentials then expire. IDs start with ACCA.
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Any

from gatehold import ids
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam import credential_errors
from gatehold.services.iam.common import list_result, page_of
from gatehold.services.iam.errors import invalid_input, quota_exceeded
from gatehold.services.iam.listing import listed, page_list
from gatehold.services.iam.targets import authorize_user, caller_or_named
from gatehold.store import service_credentials as store
from gatehold.store.records import User
from gatehold.store.service_credentials import ServiceCredential

PREFIX_SERVICE_CREDENTIAL = "ACCA"
MAX_PER_SERVICE = 2
PASSWORD_SERVICES = frozenset({"codecommit.amazonaws.com", "cassandra.amazonaws.com"})
# Services whose credentials are API keys (an alias and a secret) and may expire.
# "logs.amazonaws.com" is inferred from the API reference's mention of
# CloudWatch Logs API keys.
API_KEY_SERVICES = frozenset({"bedrock.amazonaws.com", "logs.amazonaws.com"})
SUPPORTED = PASSWORD_SERVICES | API_KEY_SERVICES


def _check_service(name: str) -> None:
    if name not in SUPPORTED:
        raise credential_errors.service_not_supported(name)


def _new_secret(service: str, alias: str | None) -> str:
    if alias is None:
        # Git credential passwords are 44 characters of base64.
        return base64.b64encode(secrets.token_bytes(33)).decode()
    # Bedrock's long-term keys are "ABSK" followed by base64 of "<alias>:<secret>".
    return "ABSK" + base64.b64encode(f"{alias}:{secrets.token_urlsafe(32)}".encode()).decode()


def _status(call: Call, cred: ServiceCredential) -> str:
    if cred.expires_at is not None and cred.expires_at <= call.ctx.now:
        return "Expired"
    return cred.status


def _metadata(call: Call, user_name: str, cred: ServiceCredential) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "UserName": user_name,
        "Status": _status(call, cred),
        "ServiceUserName": cred.service_user_name,
        "CreateDate": cred.created_at,
        "ServiceSpecificCredentialId": cred.credential_id,
        "ServiceName": cred.service_name,
    }
    if cred.alias is not None:
        shape["ServiceCredentialAlias"] = cred.alias
    if cred.expires_at is not None:
        shape["ExpirationDate"] = cred.expires_at
    return shape


def _with_secret(call: Call, user: User, cred: ServiceCredential, secret: str) -> Result:
    shape = _metadata(call, user.user_name, cred)
    shape["ServicePassword" if cred.alias is None else "ServiceCredentialSecret"] = secret
    return {"ServiceSpecificCredential": shape}


def _seal(call: Call, credential_id: str, secret: str) -> bytes:
    assert call.box is not None
    return call.box.seal(secret.encode(), store.password_aad(credential_id))


def _expiry(call: Call, params: Params, service: str) -> Any:
    days = params.get("CredentialAgeDays")
    if days is None:
        return None
    if service not in API_KEY_SERVICES:
        # Unconfirmed text.
        raise invalid_input("CredentialAgeDays is only valid for API key credentials.")
    return call.ctx.now + timedelta(days=days)


def create_service_specific_credential(call: Call, params: Params) -> Result:
    user = authorize_user(call, "iam:CreateServiceSpecificCredential", params["UserName"])
    service = params["ServiceName"]
    _check_service(service)
    expires_at = _expiry(call, params, service)
    same_service = [c for c in store.of_user(call.db, user.user_id) if c.service_name == service]
    if len(same_service) >= MAX_PER_SERVICE:
        # Unconfirmed quota name.
        raise quota_exceeded("ServiceSpecificCredentialsPerUserPerService", MAX_PER_SERVICE)
    credential_id = ids.new_unique_id(PREFIX_SERVICE_CREDENTIAL)
    account_id = call.ctx.principal.account_id
    alias = None
    service_user_name = f"{user.user_name}-at-{account_id}"
    if service in API_KEY_SERVICES:
        alias = f"{service.split('.')[0].capitalize()}APIKey-{secrets.token_hex(2)}-at-{account_id}"
        service_user_name = alias
    secret = _new_secret(service, alias)
    cred = ServiceCredential(
        credential_id=credential_id,
        user_id=user.user_id,
        service_name=service,
        service_user_name=service_user_name,
        password_sealed=_seal(call, credential_id, secret),
        status="Active",
        created_at=call.ctx.now,
        expires_at=expires_at,
        alias=alias,
    )
    store.insert(call.db, cred)
    return _with_secret(call, user, cred, secret)


def _credential_of(call: Call, action: str, params: Params) -> tuple[User, ServiceCredential]:
    user = caller_or_named(call, action, params.get("UserName"))
    credential_id = params["ServiceSpecificCredentialId"]
    cred = store.get(call.db, user.user_id, credential_id) if user else None
    if user is None or cred is None:  # the root user has no service-specific credentials
        raise credential_errors.service_credential_not_found(credential_id)
    return user, cred


def reset_service_specific_credential(call: Call, params: Params) -> Result:
    user, cred = _credential_of(call, "iam:ResetServiceSpecificCredential", params)
    secret = _new_secret(cred.service_name, cred.alias)
    store.set_password(call.db, cred.credential_id, _seal(call, cred.credential_id, secret))
    return _with_secret(call, user, cred, secret)


def update_service_specific_credential(call: Call, params: Params) -> Result:
    _, cred = _credential_of(call, "iam:UpdateServiceSpecificCredential", params)
    store.set_status(call.db, cred.credential_id, params["Status"])
    return {}


def delete_service_specific_credential(call: Call, params: Params) -> Result:
    _, cred = _credential_of(call, "iam:DeleteServiceSpecificCredential", params)
    store.delete(call.db, cred.credential_id)
    return {}


def _list_all_users(call: Call, params: Params, service: str | None) -> Result:
    call.authorize("iam:ListServiceSpecificCredentials", "*")
    query = store.account_query(call.ctx.principal.account_id, service)
    page = page_of(call, params, query, store.ACCOUNT_ORDER)
    items = [_metadata(call, r.user_name, store.from_row(r)) for r in page.rows]
    return list_result("ServiceSpecificCredentials", items, page)


def list_service_specific_credentials(call: Call, params: Params) -> Result:
    service = params.get("ServiceName")
    if params.get("AllUsers"):
        if params.get("UserName") is not None:
            # Unconfirmed text: the API reference says the two cannot be combined.
            raise invalid_input("AllUsers cannot be specified together with UserName.")
        if service is not None:
            _check_service(service)
        return _list_all_users(call, params, service)
    user = caller_or_named(call, "iam:ListServiceSpecificCredentials", params.get("UserName"))
    if service is not None:
        _check_service(service)
    owned = store.of_user(call.db, user.user_id) if user else []
    chosen = [c for c in owned if service is None or c.service_name == service]
    creds, truncated, marker = page_list(params, chosen, lambda c: c.credential_id)
    name = user.user_name if user else ""
    items = [_metadata(call, name, c) for c in creds]
    return listed("ServiceSpecificCredentials", (items, truncated, marker))


HANDLERS = {
    "CreateServiceSpecificCredential": create_service_specific_credential,
    "ListServiceSpecificCredentials": list_service_specific_credentials,
    "ResetServiceSpecificCredential": reset_service_specific_credential,
    "UpdateServiceSpecificCredential": update_service_specific_credential,
    "DeleteServiceSpecificCredential": delete_service_specific_credential,
}

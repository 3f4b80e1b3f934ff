"""Deleting a user. IAM's DeleteUser refuses while anything hangs off the user (its
DeleteConflict names what); AWS's console offers to remove those first. The page
does the same when asked: it lists the dependents through the List operations and
removes them with the Delete/Detach/Remove operations AWS's reference names for each
(API_DeleteUser, "you must delete the items attached to the user manually"), then
DeleteUser, all in one transaction through actions.invoke_all, so each step is
authorized as the API would authorize it and a refused step leaves everything as it was.
"""

from __future__ import annotations

from typing import Any

from gatehold.console import actions
from gatehold.console.actions import Peer
from gatehold.console.core import Console
from gatehold.errors import AwsError
from gatehold.store import console_sessions

Step = tuple[str, dict[str, Any]]


def _list(
    c: Console, session: console_sessions.Session, peer: Peer, operation: str, name: str
) -> dict[str, Any]:
    return actions.invoke(c, session, "iam", operation, {"UserName": name}, peer)


def dependents(c: Console, session: console_sessions.Session, peer: Peer, name: str) -> list[Step]:
    """The steps that remove what hangs off the user, in the reference's order."""
    u = {"UserName": name}
    steps: list[Step] = []
    try:
        _list(c, session, peer, "GetLoginProfile", name)
        steps.append(("DeleteLoginProfile", u))
    except AwsError as err:
        if err.code != "NoSuchEntity":
            raise
    steps.extend(
        ("DeleteAccessKey", {**u, "AccessKeyId": key["AccessKeyId"]})
        for key in _list(c, session, peer, "ListAccessKeys", name)["AccessKeyMetadata"]
    )
    steps.extend(
        ("DeleteSigningCertificate", {**u, "CertificateId": cert["CertificateId"]})
        for cert in _list(c, session, peer, "ListSigningCertificates", name)["Certificates"]
    )
    steps.extend(
        ("DeleteSSHPublicKey", {**u, "SSHPublicKeyId": ssh["SSHPublicKeyId"]})
        for ssh in _list(c, session, peer, "ListSSHPublicKeys", name)["SSHPublicKeys"]
    )
    creds = _list(c, session, peer, "ListServiceSpecificCredentials", name)
    steps.extend(
        (
            "DeleteServiceSpecificCredential",
            {**u, "ServiceSpecificCredentialId": cred["ServiceSpecificCredentialId"]},
        )
        for cred in creds["ServiceSpecificCredentials"]
    )
    steps.extend(
        ("DeactivateMFADevice", {**u, "SerialNumber": device["SerialNumber"]})
        for device in _list(c, session, peer, "ListMFADevices", name)["MFADevices"]
    )
    steps.extend(
        ("DeleteUserPolicy", {**u, "PolicyName": policy})
        for policy in _list(c, session, peer, "ListUserPolicies", name)["PolicyNames"]
    )
    steps.extend(
        ("DetachUserPolicy", {**u, "PolicyArn": policy["PolicyArn"]})
        for policy in _list(c, session, peer, "ListAttachedUserPolicies", name)["AttachedPolicies"]
    )
    steps.extend(
        ("RemoveUserFromGroup", {**u, "GroupName": group["GroupName"]})
        for group in _list(c, session, peer, "ListGroupsForUser", name)["Groups"]
    )
    return steps


def delete_user(
    c: Console, session: console_sessions.Session, peer: Peer, name: str, *, with_dependents: bool
) -> None:
    """DeleteUser; with_dependents: everything hanging off the user first."""
    steps = dependents(c, session, peer, name) if with_dependents else []
    steps.append(("DeleteUser", {"UserName": name}))
    actions.invoke_all(c, session, "iam", steps, peer)

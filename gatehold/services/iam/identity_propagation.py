"""Trusted identity propagation settings of OIDC and SAML providers.

A provider may carry a ContextProvider (how the subject and context keys are
taken from the provider's tokens) and be associated with an IAM Identity Center
instance. The rules are the ones the Create/Update operations document:

- an Identity Center instance needs a context provider;
- an update gives either a new value or the matching Remove flag, not both;
- one update changes the context provider or the Identity Center association,
  not both;
- the context provider can be removed only after the association is.

The texts of the InvalidInput answers are unconfirmed (not found in any
recorded AWS answer).
"""

from __future__ import annotations

from typing import Any

from gatehold.services.call import Params
from gatehold.services.iam.errors import invalid_input

Settings = tuple[dict[str, Any] | None, str | None]


def validated_new(params: Params) -> Settings:
    """The settings a Create request asks for."""
    context = params.get("ContextProvider")
    center = params.get("IdentityCenterInstanceArn")
    if center is not None and context is None:
        raise invalid_input(
            "A context provider is required to associate an IAM Identity Center instance."
        )
    return context, center


def updated_propagation(
    params: Params, context: dict[str, Any] | None, center: str | None
) -> Settings:
    """The settings after an Update request, from the current ones."""
    new_context = params.get("ContextProvider")
    remove_context = bool(params.get("RemoveContextProvider"))
    new_center = params.get("IdentityCenterInstanceArn")
    remove_center = bool(params.get("RemoveIdentityCenterInstance"))
    if new_context is not None and remove_context:
        raise invalid_input("ContextProvider and RemoveContextProvider cannot both be specified.")
    if new_center is not None and remove_center:
        raise invalid_input(
            "IdentityCenterInstanceArn and RemoveIdentityCenterInstance cannot both be specified."
        )
    changes_context = new_context is not None or remove_context
    changes_center = new_center is not None or remove_center
    if changes_context and changes_center:
        raise invalid_input(
            "A request can change either the context provider or the IAM Identity Center "
            "association, not both."
        )
    if remove_context:
        if center is not None:
            raise invalid_input(
                "Remove the IAM Identity Center association before removing the context provider."
            )
        return None, center
    if new_context is not None:
        return new_context, center
    if remove_center:
        return context, None
    if new_center is not None:
        if context is None:
            raise invalid_input(
                "A context provider is required to associate an IAM Identity Center instance."
            )
        return context, new_center
    return context, center


def has_propagation_change(params: Params) -> bool:
    return any(
        params.get(k)
        for k in (
            "ContextProvider",
            "RemoveContextProvider",
            "IdentityCenterInstanceArn",
            "RemoveIdentityCenterInstance",
        )
    )

"""IAM identity providers: OpenID Connect (oidc_providers.py) and SAML 2.0
(saml_providers.py). This module gathers their operations for the registry."""

from __future__ import annotations

from gatehold.services.call import Handler
from gatehold.services.iam import oidc_providers, saml_providers

HANDLERS: dict[str, Handler] = {**oidc_providers.HANDLERS, **saml_providers.HANDLERS}

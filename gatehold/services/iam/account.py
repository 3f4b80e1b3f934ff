"""Account-level IAM operations: the alias (account_alias.py), the summary and STS
token preference (account_summary.py) and the credential report
(credential_report.py). This module gathers their operations for the registry."""

from __future__ import annotations

from gatehold.services.call import Handler
from gatehold.services.iam import account_alias, account_summary, credential_report

HANDLERS: dict[str, Handler] = {
    **account_alias.HANDLERS,
    **account_summary.HANDLERS,
    **credential_report.HANDLERS,
}

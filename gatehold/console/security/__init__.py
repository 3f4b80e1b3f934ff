"""The account's security: best-practice checks, recent alarms and the event history."""

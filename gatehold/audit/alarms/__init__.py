"""Alarms for suspicious sign-ins and credential use (issue 7).

rules.py judges one event against what history.py recalls (pure); geo.py places
an address with a MaxMind-format database when one is configured; findings are
recorded as audit events and sent to the configured sinks (sinks.py).
"""

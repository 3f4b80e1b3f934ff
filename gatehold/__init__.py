"""gatehold: a self-hosted, AWS-compatible sign-in and access-management server."""

__version__ = "0.1.0"

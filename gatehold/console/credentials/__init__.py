"""The signed-in principal's own credentials: password, access keys, MFA devices and
security keys."""

"""Who is calling: SigV4 (sigv4.py, sigv4_canonical.py), access keys and session
tokens to principals (credentials.py, session_tokens.py), the limits of temporary
credentials (session_limits.py), passwords (password.py, password_rules.py), TOTP
(totp.py), WebAuthn (webauthn.py), console lockout rules (lockout.py), OIDC tokens and
their issuers' keys (oidc_tokens.py, oidc_keys.py) and SAML (saml_*.py). Pure where it
can be; below the protocol layer, above the store."""

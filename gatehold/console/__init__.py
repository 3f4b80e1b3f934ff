"""The web console's sign-in core, served by `gatehold serve` on the API's port.

- signin.py: the sign-in as a pure state machine (password -> MFA -> new password).
- lockout.py: the throttling policy (pure); lockout_store.py its counters.
- sessions.py: server-side sessions; csrf.py: the token on every form.
- flow.py: each step against the store (run off the event loop).
- routes.py: the HTTP surface, pages in templates/, the stylesheet in static/.
- unlock_cli.py: `gatehold users unlock`, the administrator's way out of a lockout.
"""

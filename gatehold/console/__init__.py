"""The web console, served by `gatehold serve` on the API's port.

- core.py: the `Console` every step and page works with (one per worker process).
- routes.py: the console as one Starlette app, gathering every package's routes.
- web.py: the pages' plumbing (rendering, security headers, CSRF-checked forms,
  the session behind a request); csrf.py: the token on every form.
- actions.py: the services called as the signed-in principal, as the API calls them.
- signin/: the sign-in (state machine, steps, sessions, unlock) and switch role.
- credentials/: the principal's own password, access keys, MFA devices, security keys.
- admin/: the IAM administration pages; security/: checks, alarms, event history.
- recovery/: root account recovery by emailed link.
- templates/ and static/: the pages and the stylesheet and script they use.

The throttling policy is auth/lockout.py, its counters store/signin_failures.py,
the sessions store/console_sessions.py; `gatehold users unlock` is cli/users.py.
"""

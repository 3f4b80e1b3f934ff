"""Console sign-in and what follows it.

- machine.py: the sign-in as a pure state machine (password -> MFA -> new password).
- who.py: whom a sign-in is for, and the facts about them the machine decides on.
- steps.py: each step against the store, carrying out the machine's effects.
- sessions.py: the session behind a cookie, signing out, the home page's facts.
- unlock.py: an administrator's unlock of a console lockout (admin page and CLI).
- pages.py: the sign-in pages and the home page.
- role_sessions.py, switch_role.py: the role a signed-in user switched to.
"""

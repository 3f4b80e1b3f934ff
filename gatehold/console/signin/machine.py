"""The console sign-in as a pure state machine: no I/O, no clock, no HTTP.

    need_password --password ok--> need_mfa --code ok--> need_new_password --changed--> signed_in
                                   (skipped without MFA)  (skipped unless required)

Each transition is a function of (state, the input's outcome, facts about the
principal) returning the next state and the effects the caller must carry out
(count a failure, clear the counter, ...). steps.py gathers the facts from the
store (who.py), calls these, and performs the effects in one transaction.

The order follows AWS's console: password, then the MFA code, then the forced
password change (IAM User Guide, "IAM user sign-in": a user whose password must be
reset is asked for it after signing in, MFA included).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Stage(Enum):
    NEED_PASSWORD = "need_password"
    NEED_MFA = "need_mfa"
    NEED_NEW_PASSWORD = "need_new_password"
    SIGNED_IN = "signed_in"


class Effect(Enum):
    COUNT_FAILURE = "count_failure"  # one more failure for the account and the address
    CLEAR_FAILURES = "clear_failures"  # the account's run of failures is over
    START_SESSION = "start_session"  # a new session row (a fresh token: no fixation)
    ADVANCE_SESSION = "advance_session"  # the session moves to the next stage
    END_SESSION = "end_session"


# The one answer to an unknown account, an unknown user, a wrong password and a
# locked account alike: AWS console's text (not confirmed from a primary source —
# it is the wording users quote from the AWS sign-in page).
INCORRECT = "Your authentication information is incorrect. Please try again."
WRONG_CODE = "Your authentication information is incorrect. Please try again."
# Hard expiry (PasswordPolicy.HardExpiry): only an administrator can reset it.
# Shown only after a correct password and MFA code, so it reveals nothing to a guesser.
EXPIRED_HARD = "Your password has expired. Contact your administrator to reset it."


@dataclass(frozen=True)
class PrincipalFacts:
    """What the store says about whoever the password was checked for."""

    exists: bool
    locked: bool
    has_mfa: bool
    reset_required: bool  # PasswordResetRequired on the login profile
    expired: bool  # older than the account policy's MaxPasswordAge
    hard_expiry: bool  # the policy forbids users renewing an expired password


NOBODY = PrincipalFacts(False, False, False, False, False, False)


@dataclass(frozen=True)
class Transition:
    stage: Stage
    effects: tuple[Effect, ...] = ()
    error: str | None = None


def after_password(*, password_ok: bool, facts: PrincipalFacts) -> Transition:
    """need_password, given whether the password matched."""
    if facts.locked:
        # Neither counted nor cleared: see lockout.py for why, and what is said.
        return Transition(Stage.NEED_PASSWORD, (), INCORRECT)
    if not (password_ok and facts.exists):
        return Transition(Stage.NEED_PASSWORD, (Effect.COUNT_FAILURE,), INCORRECT)
    if facts.has_mfa:
        # The password alone does not clear the failures: a guesser who has it must
        # not be able to reset the count while still lacking the second factor.
        return Transition(Stage.NEED_MFA, (Effect.START_SESSION,))
    return _past_mfa(facts, (Effect.CLEAR_FAILURES, Effect.START_SESSION))


def after_mfa(*, code_ok: bool, facts: PrincipalFacts) -> Transition:
    """need_mfa, given whether the code was right and unused."""
    if facts.locked:
        return Transition(Stage.NEED_PASSWORD, (Effect.END_SESSION,), INCORRECT)
    if not code_ok:
        return Transition(Stage.NEED_MFA, (Effect.COUNT_FAILURE,), WRONG_CODE)
    return _past_mfa(facts, (Effect.CLEAR_FAILURES, Effect.ADVANCE_SESSION))


def _past_mfa(facts: PrincipalFacts, effects: tuple[Effect, ...]) -> Transition:
    if facts.expired and facts.hard_expiry:
        return Transition(Stage.NEED_PASSWORD, (Effect.END_SESSION,), EXPIRED_HARD)
    if facts.reset_required or facts.expired:
        return Transition(Stage.NEED_NEW_PASSWORD, effects)
    return Transition(Stage.SIGNED_IN, effects)


def after_new_password(*, changed: bool, error: str | None = None) -> Transition:
    """need_new_password, given whether the change was accepted (else why not)."""
    if not changed:
        return Transition(Stage.NEED_NEW_PASSWORD, (), error)
    return Transition(Stage.SIGNED_IN, (Effect.ADVANCE_SESSION,))

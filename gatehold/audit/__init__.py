"""The audit log: CloudTrail records of every API call and console sign-in.

- records.py: the records themselves, pure (CloudTrail User Guide shapes, redaction).
- log.py: storage (audit_events + the audit_lookup index), LookupEvents' query,
  `since` for followers, retention pruning.
- recorder.py: which transaction a record goes in; the per-process batcher for reads.
- request.py: the API pipeline's (and the console's) per-call view, one line per step.
- signin_events.py: which events each console sign-in step means.
The README's "Audit log" section says what is kept and what a crash can lose.
"""

"""The audit log: CloudTrail records of every API call and console sign-in.

- records.py: the records themselves, pure (CloudTrail User Guide shapes, redaction).
- log.py: storage (segments: audit_segments + audit_segment_keys), LookupEvents' merge,
  `since` for followers, retention pruning.
- log_upgrade.py: schema step 3, the row-per-record log moved into segments.
- recorder.py: which transaction a record goes in; the per-process batcher for reads.
- call_rows.py: the rows of calls, repeated read-only calls from templates.
- request.py: the API pipeline's (and the console's) per-call view, one line per step.
- signin_events.py: which events each console sign-in step means.
The README's "Audit log" section says what is kept and what a crash can lose.
"""

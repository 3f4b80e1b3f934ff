"""The audit log: CloudTrail records of every API call and console sign-in.

- records.py: the records themselves, pure (CloudTrail User Guide shapes, redaction);
  signin_records.py: those of console sign-in events.
- log.py: storing records (a record's row; storage itself: store/audit_rows.py for
  the segments' format, store/audit_segments.py for their SQL).
- lookup.py: LookupEvents, the newest-first merge over an account's segments.
- follow.py: `since` / `newest` for followers (trails, `gatehold events tail`).
- recorder.py: which transaction a record goes in; the per-process batcher for
  reads, and retention pruning.
- call_rows.py: the rows of calls, repeated read-only calls from templates.
- signin_events.py: which events each console sign-in step means.
- delivery.py, log_files.py: trails' log files.
- alarms/: sign-in and key-use alarms.
The API pipeline's (and the console's) per-call view is services/request_audit.py;
schema step 3 (the row-per-record log moved into segments) is
store/migration_v3.py. The README's "Audit log" section says what is kept and what
a crash can lose.
"""

"""Auditing the log: integrity, replay, diffs, reproducing sent reports, exports, closing a year and
the final statement. Each module does one of these; `closing` is also used by the append path."""

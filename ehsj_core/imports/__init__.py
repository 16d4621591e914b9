"""Importing the CRM's and the evaluation system's exports (CSV or XLSX) into the event log.

readers.py turns a file into rows of text (encoding, separator, Excel), values.py parses Danish
values, mapping.py maps a row to an event envelope, run.py validates every row with the API's rules
(`parse_event`), reports problems by row and column, and stores — all or, with `skip_bad`, the good.
"""

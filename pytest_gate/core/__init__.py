"""Pure building blocks every floor uses: durations, the query and answer types, the deadline, the
decision table, URL redaction and atomic file writes. Imports nothing else of pytest_gate."""

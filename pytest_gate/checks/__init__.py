"""What a check uses to compare what it observed with a threshold (``gate.expect``)."""

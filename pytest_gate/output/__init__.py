"""Outputs of a decided gate run: the JSON report, the terminal traffic light, the Pushgateway push."""

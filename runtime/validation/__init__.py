"""Validation of datasets against the spec: conditions, rules, findings."""

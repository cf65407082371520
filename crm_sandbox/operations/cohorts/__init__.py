"""Cohort administration: cohorts, accounts, assignments and queues."""

"""Exports of the assessor's review: printable and PDF reports and the cohort CSV
(signed evidence packs, which bundle them, are administration: ``crm_sandbox.admin.packs``)."""

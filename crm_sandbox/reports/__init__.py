"""Exports of the assessor's review: printable and PDF reports, the cohort CSV, signed evidence packs.

    from crm_sandbox.reports import records, pdf, csv_export, pack
"""

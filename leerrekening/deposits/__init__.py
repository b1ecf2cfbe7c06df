"""Deposits from funders into learning accounts, by concern:

parsing (the CSV file), validation (a whole file against the roster), services (upload, confirm,
cancel, single deposits, resume), applying (chunks by Celery: leerrekening.chunked_batches),
reports, schemes (scheme rules per period), selectors (reads), errors (DomainErrors), and the admin
(forms, admin, admin_schemes).
"""

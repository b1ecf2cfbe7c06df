"""A provider's own way in: registration, its team (invitations, removal) and its bank account.

validation.py checks what a provider types and uploads (KvK, postcode, IBAN, proof files);
services.py writes; selectors.py reads (who may see a proof file, whether payouts may go out).
Approval lives in leerrekening.catalogue.
"""

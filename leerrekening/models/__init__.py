"""The learning account: ledger, funders, deposits and the course catalogue.

See ledger.py for the money model and catalogue.py for providers and courses.
"""

from leerrekening.models.catalogue import Course, Provider, ProviderMembership

__all__ = ["Course", "Provider", "ProviderMembership"]

"""Writes of the learning-account app. All money moves through leerrekening.ledger."""

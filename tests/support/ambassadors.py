"""Texts the ambassador tests look for where they must never appear (e-mails, figures, logs)."""

SECRET_NOTES = "Vertrouwelijk: wil weg bij Acme, twijfelt over de bouw."
SECRET_MESSAGE = "Ik heb moeite met lezen en durf het niet te zeggen."

"""Bookings: the worker's spending (services), its confirmation, its errors, SQL and reads."""

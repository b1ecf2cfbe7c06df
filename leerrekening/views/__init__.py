"""The learning account's pages, by audience: worker, provider (staff) and coordinator."""

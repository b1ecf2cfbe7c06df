"""The catalogue: approving providers and courses (services) and finding bookable ones."""

"""Plain-Python domain logic: functions take a db and data, return data or raise a DomainError."""

"""Printable PDFs from plain data (reportlab only; nothing from Flask or the database)."""

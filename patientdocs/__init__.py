"""Personalised patient documents (information sheet, consent form, aftercare) as PDFs."""

__version__ = "0.1.0"

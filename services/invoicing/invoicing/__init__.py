"""Invoicing: issuing companies, their DTE documents, and the link to accounting."""

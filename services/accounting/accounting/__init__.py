"""Accounting: contracts, companies and their books, fed by invoicing through the worker."""

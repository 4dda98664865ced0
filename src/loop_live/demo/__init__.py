"""Realistic demo data, bulk-loaded."""

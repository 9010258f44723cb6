"""Regulation knowledge base: ingest, index, retrieve, answer."""

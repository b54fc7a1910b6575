"""Behaviour events and what becomes of them (xAPI statements, outbox, uploader)."""

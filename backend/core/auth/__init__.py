"""Accounts and access: password hashing, credential secrets, and who may do what in a project."""

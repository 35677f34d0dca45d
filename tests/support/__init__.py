"""Helpers shared by test files (never imported from one test file into another)."""

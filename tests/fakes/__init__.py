"""Test doubles for the services reviewer talks to."""

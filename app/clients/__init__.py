"""Clients (Mandanten, SPEC A3): business areas that share one installation."""

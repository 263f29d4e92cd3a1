"""Signing in and out, changing one's password, and the guard that makes every other page
require a signed-in user."""

"""Users of the application and their own settings (language, time zone)."""

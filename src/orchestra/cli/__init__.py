"""The ``orchestra`` command. Its import path stays light: commands import what they need."""

"""MedVR entry points, configuration and wiring."""

"""Blueprints, one per role (plus sign-in). Views stay thin: they call services and render."""

"""The pure compliance engine: session data in, findings out. No Flask, no database."""

"""The operations on the sandbox. Every function that changes a contact records the event that evidences it."""

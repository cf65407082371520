"""Keys: the Ed25519 signing key and rotation of the field-encryption keys."""

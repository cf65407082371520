"""The app's Ed25519 signing key: signs evidence packs (and anything else that must be provably ours).

The private key comes from the environment variable ``SIGNING_KEY_PEM`` (a PKCS#8 PEM) or else from
``signing_key.pem`` in the instance folder, created on first use with mode 0600, like the other
secrets in ``config.instance_secret``. Only the public key is ever shown.

    from crm_sandbox.crypto import signing
    sig = signing.sign(data)                       # 64 bytes
    signing.verify(signing.public_key_pem(), data, sig)  # True
    signing.fingerprint()                          # "3f2a 91c0 …" (SHA-256 of the raw public key)
"""

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app, has_app_context

from crm_sandbox.config import secret_file

ENV_VAR = "SIGNING_KEY_PEM"
KEY_FILE = "signing_key.pem"


class SigningKeyError(Exception):
    """The configured key is missing or is not an Ed25519 key."""


def _instance_path(instance_path: str | None) -> Path:
    if instance_path is not None:
        return Path(instance_path)
    if not has_app_context():
        raise SigningKeyError("the signing key lives in the app's instance folder: use an app context")
    return Path(current_app.instance_path)


@lru_cache(maxsize=8)
def _load_private(pem: bytes, where: str) -> Ed25519PrivateKey:
    """Parse the PEM once per distinct key (the file is still read each time: a replaced key is used)."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as err:
        raise SigningKeyError(f"{where}: not a readable unencrypted PEM private key") from err
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{where}: not an Ed25519 key")
    return key


def private_key(instance_path: str | None = None) -> Ed25519PrivateKey:
    """The signing key: ``$SIGNING_KEY_PEM``, else ``<instance>/signing_key.pem`` (created if missing)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return _load_private(env.encode(), ENV_VAR)
    path = _instance_path(instance_path) / KEY_FILE
    pem = secret_file(
        path,
        lambda: Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    return _load_private(pem, str(path))


def ensure_key(instance_path: str) -> None:
    """Create the instance's signing key now if it has none (app start-up): never lazily mid-request, so an
    instance folder copied to a second server after bootstrap carries the same key."""
    if not os.environ.get(ENV_VAR):
        private_key(instance_path)


def public_key_pem(instance_path: str | None = None) -> str:
    """The public key as a SubjectPublicKeyInfo PEM (what quality assurers verify with)."""
    return (
        private_key(instance_path)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def sign(data: bytes, instance_path: str | None = None) -> bytes:
    """The Ed25519 signature (64 bytes) of ``data``."""
    return private_key(instance_path).sign(data)


def load_public_key(public_pem: str | bytes) -> Ed25519PublicKey:
    if isinstance(public_pem, str):
        public_pem = public_pem.encode()
    try:
        key = serialization.load_pem_public_key(public_pem)
    except (ValueError, TypeError) as err:
        raise SigningKeyError("not a readable PEM public key") from err
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("not an Ed25519 public key")
    return key


def verify(public_pem: str | bytes, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is a valid signature of ``data`` by the key ``public_pem``.

    False (never an exception) for a bad signature; SigningKeyError for a key that cannot be read.
    """
    key = load_public_key(public_pem)
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def fingerprint(public_pem: str | bytes | None = None, instance_path: str | None = None) -> str:
    """SHA-256 of the raw 32-byte public key, hex in groups of four: easy to read out and compare."""
    key = load_public_key(public_pem) if public_pem is not None else private_key(instance_path).public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))

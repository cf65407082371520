"""Event types: the one registry of what can be recorded on a contact (see ``registry``)."""

from .registry import *  # noqa: F401,F403
from .registry import __all__  # noqa: F401

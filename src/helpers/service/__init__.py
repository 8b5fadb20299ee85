"""Layer 8, service: the order-check HTTP service (``riskbook serve``) and its API keys."""
from .app import create_app
from .keys import KeyRing, load_keys, new_key

__all__ = ["create_app", "KeyRing", "load_keys", "new_key"]

"""Shadow-replay harness for bank gateways: capture sanitized, replay, learn field rules, export."""

__version__ = "0.1.0"

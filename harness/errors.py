"""The harness's one error hierarchy.

    HarnessError                 anything the user can fix: the CLI prints one line and exits 1
     ├── ConfigError             a bad option, environment variable or file path
     │    └── PlanError          a gateway plan that does not load or does not validate
     ├── StoreError              the store cannot be reached, migrated or queried
     │    ├── StoreUnavailable    the store does not answer (down, unreachable): spool, retry
     │    └── SpoolError          a spool file cannot be written (full disk, read-only)
     ├── NotFoundError           an id or a name that does not exist
     ├── CodecError              a body that cannot be decoded or re-encoded
     ├── SafetyError             an action refused for safety (a production target)
     └── SignerError             a signer that cannot be loaded or cannot sign

Messages name the offending option, path or value with ``repr``, never a payload,
a card number or a token.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base class: a problem the user can fix."""


class ConfigError(HarnessError):
    """A bad option, environment variable or file."""


class PlanError(ConfigError):
    """A gateway plan that does not load or validate."""


class StoreError(HarnessError):
    """The store cannot be reached, migrated or queried."""


class StoreUnavailable(StoreError):
    """The store does not answer right now (server down, network cut): worth retrying."""


class SpoolError(StoreError):
    """A spool file cannot be opened or written (full disk, read-only directory)."""


class NotFoundError(HarnessError):
    """An id or a name that does not exist."""


class CodecError(HarnessError):
    """A body that cannot be decoded or re-encoded."""


class SafetyError(HarnessError):
    """An action refused for safety, such as replaying to production."""


class SignerError(HarnessError):
    """A signer that cannot be loaded or cannot sign."""

"""Every built-in rule kind, one module each; importing this package registers them all.

The order below is the order people read a field's rules in, and the order the mock tries
them in: presence, whitespace, characters, lengths, shapes and values.
"""
# isort: skip_file

from harness.rules.kinds import required  # noqa: F401  (each import registers its kind)
from harness.rules.kinds import no_surrounding_space  # noqa: F401
from harness.rules.kinds import forbidden_chars  # noqa: F401
from harness.rules.kinds import allowed_chars  # noqa: F401
from harness.rules.kinds import max_length  # noqa: F401
from harness.rules.kinds import min_length  # noqa: F401
from harness.rules.kinds import max_bytes  # noqa: F401
from harness.rules.kinds import checksum  # noqa: F401
from harness.rules.kinds import format  # noqa: F401
from harness.rules.kinds import pattern  # noqa: F401
from harness.rules.kinds import decimal  # noqa: F401
from harness.rules.kinds import enum  # noqa: F401

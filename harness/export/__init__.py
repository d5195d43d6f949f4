"""Export the learned rules: JSON Schema, a YAML list (loadable back) and a Markdown checklist.

Pure: takes :class:`harness.rules.RuleSpec` values (and optionally the plan), returns values.
docs/rules-format.md describes the three formats and the JSON Schema ``x-`` keywords.

- :func:`to_jsonschema` / :func:`validate` / :class:`Checker` (``harness.export.schema``)
- :func:`to_yaml` / :func:`load_rules_yaml` (``harness.export.listing``)
- :func:`to_markdown` (``harness.export.checklist``)
"""

from harness.export.checklist import production_only, to_markdown
from harness.export.listing import load_rules_yaml, to_yaml
from harness.export.schema import Checker, to_jsonschema, validate, validator_class

__all__ = [
    "Checker",
    "load_rules_yaml",
    "production_only",
    "to_jsonschema",
    "to_markdown",
    "to_yaml",
    "validate",
    "validator_class",
]

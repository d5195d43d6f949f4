"""The incident report: a headline, actions ranked by risk, the notice for operations and
customer service, charts and the details, as HTML, Markdown or the notice alone.

- :mod:`.model`: what the report shows, and how every figure is counted;
- :mod:`.facts`: figures several parts state (rules grouped by field, at-risk totals);
- :mod:`.actions`: the headline, key figures, ranked actions and the notice;
- :mod:`.charts`: inline SVG charts and their text form;
- :mod:`.build`: the blocks in order and the renderers.

All pure: :func:`harness.report.gather.load_report_data` gathers the data.
"""

from harness.report.build import FORMATS, build_report, default_path, render, title
from harness.report.model import AtRisk, Impact, ReportData, SignatureCount

__all__ = [
    "FORMATS",
    "AtRisk",
    "Impact",
    "ReportData",
    "SignatureCount",
    "build_report",
    "default_path",
    "render",
    "title",
]

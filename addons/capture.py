"""The capture addon as a mitmproxy script: ``mitmdump -s addons/capture.py``.

The addon itself is :class:`harness.capture.addon.Capture` (installed with the harness);
this file only hands it to mitmproxy, as ``harness proxy`` does::

    mitmdump -s addons/capture.py --mode reverse:https://gateway.bank.example \\
        --set capture_db=sqlite:///harness.db --set capture_plan=replays/bank.yaml
"""

from harness.capture.addon import Capture

addons = [Capture()]

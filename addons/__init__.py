"""mitmproxy addons shipped with the harness (load with ``mitmdump -s addons/capture.py``)."""

"""Capture: the mitmproxy addon (:mod:`.addon`), the framed pipe it writes (:mod:`.frames`),
the ingest process that sanitizes and stores (:mod:`.ingest`, :mod:`.record`, :mod:`.sink`,
:mod:`.spool`), the proxy process and its start-up checks (:mod:`.proxy`, :mod:`.start`),
health and metrics (:mod:`.metrics`, :mod:`.status`), retention, and imports of flow and HAR
files (:mod:`.imports`, :mod:`.flowrecord`, :mod:`.har`).

Everything here is an edge (processes, pipes, files); the pure work it calls lives in
:mod:`harness.sanitize` and :mod:`harness.codecs`."""

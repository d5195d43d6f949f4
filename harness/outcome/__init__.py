"""Outcomes: what a gateway's answer means (:mod:`.classify`: accepted, rejected, error, by
the plan or by convention) and how replay compares production with a target
(:mod:`.verdicts`: production-only, reproducible, ...). Pure: values in, values out."""

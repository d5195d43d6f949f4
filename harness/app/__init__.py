"""Jobs that run the stages end to end: the demo (:mod:`.demo`) and the shared job steps the
CLI commands call (:mod:`.jobs`). Edges: they open the store, start servers and write files."""

"""Text facts every stage shares: character classes (:mod:`.charclass`), named character
sets and encodings (:mod:`.charsets`), identifier checksums (:mod:`.checksums`) and value
formats (:mod:`.formats`). Pure: no I/O, no state."""

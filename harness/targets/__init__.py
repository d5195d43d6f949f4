"""Where replay, the live shadow and the prober send: targets (:mod:`.resolve`: URL,
headers, signer, TLS), their TLS contexts (:mod:`.tls`) and request signers
(:mod:`.signers`)."""

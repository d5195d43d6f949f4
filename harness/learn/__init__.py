"""Learning the field rules production enforces (pure core: rows in, RuleSpecs out)."""

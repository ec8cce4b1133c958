"""Technical documents: collusion-resistant copy fingerprints (:mod:`.tardos`) and the containment index that finds
which document and version an excerpt came from (:mod:`.contentindex`)."""

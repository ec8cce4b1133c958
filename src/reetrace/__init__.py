"""reetrace: rare-earth supply-chain security on a verifiable Merkle log."""

__version__ = "0.1.0"

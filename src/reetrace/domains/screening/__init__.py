"""Party screening: list loaders, name normalisation, the matcher, and stored list versions."""

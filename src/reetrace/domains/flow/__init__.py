"""Product flow: EPCIS 2.0 events, lots, genealogy and mass balance."""

"""Personnel: technical experts, the sensitive-post watch list, departures and cooling-off, travel and passports."""

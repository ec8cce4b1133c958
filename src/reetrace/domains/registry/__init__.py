"""Master data: enterprises of the rare-earth chain, their permits, and their contact persons."""

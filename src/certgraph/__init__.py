"""certgraph: French professional certifications (RNCP, RS) as a validated knowledge graph."""

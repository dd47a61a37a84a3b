"""Write queries/sparql-examples.ttl: every named query as a SHACL SPARQL executable (SIB sparql-examples).

Run after adding or changing a named query; tests/test_linked_data.py fails while the file is stale.

    .venv/bin/python tools/write_sparql_examples.py
"""

from certgraph.web.linked_data import write_sparql_examples

if __name__ == "__main__":
    print(write_sparql_examples())

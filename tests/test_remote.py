"""Other SPARQL stores: publish the seed graph to real engines on loopback (Oxigraph server and
Virtuoso, started by the tests) and get the same answers from them as from the embedded store.

Every named query, the lineage and comparison logic, the export views and the CLI's ``--endpoint``
are run against the local store and the remote engine, and the results compared.
"""

from __future__ import annotations

import base64
import json
import os
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from certgraph.cli import cli
from certgraph.compare import compare
from certgraph.export.views import VIEWS
from certgraph.lineage import lineage
from certgraph.publish import PublishError, local_counts, publish
from certgraph.queries import run_named
from certgraph.store import Credentials, RemoteStore, StoreError, index_path
from certgraph.vocab import SIMILARITY_GRAPH, SUGGESTION_GRAPH
from tests.browser import serve_on_loopback
from tests.engines import Engine, oxigraph_server, virtuoso_server
from tests.test_queries import PINNED, READS_SUGGESTIONS, normalised

ENGINES = {"oxigraph": oxigraph_server, "virtuoso": virtuoso_server}
ROME_APPELLATIONS = "https://w3id.org/certgraph/graph/rome-v344-appellations"


def credentials(engine: Engine) -> Credentials | None:
    """The engine's write credentials as certgraph reads them from the environment."""
    if engine.user is None:
        return None
    return Credentials.from_env({"CERTGRAPH_SPARQL_USER": engine.user, "CERTGRAPH_SPARQL_PASSWORD": engine.password,
                                 "CERTGRAPH_SPARQL_AUTH": "digest"})


@pytest.fixture(scope="module", params=sorted(ENGINES))
def engine(request, tmp_path_factory) -> Engine:
    """A fresh engine of each kind, for the whole module."""
    with ENGINES[request.param](tmp_path_factory.mktemp(request.param)) as running:
        yield running


@pytest.fixture(scope="module")
def published(engine, mini_store):
    """The engine holding the mini graph, published by ``certgraph.publish``; yields the report.

    One request at a time: after publishing with two POSTs of a graph in flight, Virtuoso 7.2 answered
    some runs' fiche/summary for RNCP41296 without its reconciled end date and level (its EXISTS on
    derived/current failed), in CI and once in two runs here; never in four sequential runs.
    """
    return publish(mini_store, engine.gsp_url, credentials=credentials(engine), batch=500, parallel=1)


@pytest.fixture(scope="module")
def remote(engine, published) -> RemoteStore:
    """The engine's SPARQL endpoint as a certgraph store."""
    return RemoteStore(engine.query_url)


def test_publish_sends_every_graph_and_verifies_the_counts(published, mini_store, engine):
    counts = local_counts(mini_store)
    assert {g.iri: g.local for g in published.graphs} == counts
    assert all(g.sent == g.local == g.remote for g in published.graphs)
    assert published.triples == len(mini_store) and published.rate > 0
    # Batches of 500: a graph went in ceil(n / 500) requests (a PUT, then POSTs), then one GET read it back.
    assert published.requests == sum(-(-n // 500) for n in counts.values()) + len(counts)
    # The largest graph, ROME v3.44's appellations, goes in 137 requests.
    assert published.retries == 0 and max(counts.values()) == counts[ROME_APPELLATIONS] == 68_271
    # An independent count through the engine's own SPARQL endpoint agrees.
    rows = engine.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert {r["g"]: int(r["n"]) for r in rows if r["g"] not in engine.system_graphs} == counts


@pytest.mark.parametrize("name", sorted(PINNED))
def test_every_named_query_gives_the_same_rows_remotely(name, remote, mini_store, queries):
    if name in READS_SUGGESTIONS:
        pytest.skip("the mini register has no fiche to suggest a predecessor for: test_queries compares "
                    "lineage/suggested on the mini graph plus a computed suggestion, and the whole-register test here")
    query = queries[name]
    local = normalised(run_named(mini_store, query, query.example_values()))
    assert local, f"{name}: the example must return rows, or the comparison proves nothing"
    # A search parameter reads the full-text index beside the local store; the engine gets the hits.
    hits_from = index_path(mini_store.path)
    assert normalised(run_named(remote, query, query.example_values(), index=hits_from)) == local


def test_lineage_and_comparison_do_not_depend_on_the_store(remote, mini_store, queries):
    here, there = lineage(mini_store, queries, "RNCP35080"), lineage(remote, queries, "RNCP35080")
    assert [vars(m) for m in there.ordered()] == [vars(m) for m in here.ordered()]
    assert sorted(there.graph.edges(data=True)) == sorted(here.graph.edges(data=True))
    assert len(there.members) == 5
    assert compare(remote, queries, "RNCP35080", "RNCP41296").as_dict() == compare(mini_store, queries, "RNCP35080", "RNCP41296").as_dict()


@pytest.mark.parametrize("view, nodes, edges", [("lineage", 5, 4), ("occupations", 13, 18), ("neighbourhood", 14, 15)])
def test_export_views_are_the_same_from_the_engine(view, nodes, edges, remote, mini_store):
    here = VIEWS[view](mini_store, fiche="RNCP35080", depth=1, threshold=None)
    there = VIEWS[view](remote, fiche="RNCP35080", depth=1, threshold=None)
    assert (here.number_of_nodes(), here.number_of_edges()) == (nodes, edges)
    assert dict(there.nodes(data=True)) == dict(here.nodes(data=True))
    assert sorted(there.edges(data=True), key=repr) == sorted(here.edges(data=True), key=repr)


# Each command run on the local store and with --endpoint, with the same output expected.
COMMANDS = [
    ["query", "lineage/ancestors", "-p", "fiche", "RNCP35080", "--table"],
    ["query", "search/competencies", "-p", "text", "recherche action"],
    ["lineage", "RNCP35080"],
    ["compare", "RNCP35080", "RNCP41296", "--json"],
    ["show", "RNCP41296"],
    ["lineage-stats", "--json"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:2]) for a in COMMANDS])
def test_cli_gives_the_same_output_with_endpoint(args, remote, mini_build):
    runner = CliRunner()
    local = runner.invoke(cli, [*args, "--store", str(mini_build.store)])
    assert local.exit_code == 0, local.output
    # --store stays for the search index; everything else comes from the engine.
    there = runner.invoke(cli, [*args, "--store", str(mini_build.store), "--endpoint", remote.url])
    assert there.exit_code == 0, there.output
    assert there.output == local.output and local.output.strip()


def test_cli_sparql_and_export_with_endpoint(remote, mini_build, tmp_path):
    runner = CliRunner()
    query = "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a <https://w3id.org/certgraph/ontology#Certification> }"
    for extra in ([], ["--endpoint", remote.url]):
        result = runner.invoke(cli, ["sparql", "-", "--store", str(mini_build.store), *extra], input=query)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == {"n": 6}
    outputs = []
    for name, extra in (("here", []), ("there", ["--endpoint", remote.url])):
        out = tmp_path / f"{name}.graphml"
        result = runner.invoke(cli, ["export", "lineage", "--fiche", "RNCP35080", "-o", str(out), "--store", str(mini_build.store), *extra])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1] and "RNCP1611" in outputs[0]


def test_publishing_again_needs_replace_and_replace_keeps_the_counts(published, engine, mini_store):
    with pytest.raises(PublishError, match="already holds .* nothing was sent; use --replace"):
        publish(mini_store, engine.gsp_url, credentials=credentials(engine))
    again = publish(mini_store, engine.gsp_url, credentials=credentials(engine), replace=True)
    assert [(g.iri, g.remote) for g in again.graphs] == [(g.iri, g.local) for g in published.graphs]


def test_an_update_is_never_sent(remote):
    with pytest.raises(StoreError, match="only reads"):
        remote.query("INSERT DATA { <urn:a> <urn:b> <urn:c> }")


def test_a_broken_query_names_the_endpoint_and_the_engines_message(remote):
    with pytest.raises(StoreError) as caught:
        remote.query("SELECT ?x WHERE { ?x ")
    message = str(caught.value)
    assert message.startswith(remote.url) and "QueryBadFormed" in message


# ------------------------------------------------------------------ retries and credentials


class FlakyGuard:
    """A loopback proxy in front of a real engine's Graph Store: it wants one Authorization header,
    and answers every ``fail_every``-th write with a 503 before passing the rest through."""

    def __init__(self, upstream: str, authorization: str, fail_every: int):
        self.upstream, self.authorization, self.fail_every = upstream, authorization, fail_every
        self.writes = self.refused = self.failed = 0
        self.seen_authorizations: set[str] = set()

    def handler(self):
        guard = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                guard.seen_authorizations.add(self.headers.get("Authorization", ""))
                if self.headers.get("Authorization") != guard.authorization:
                    guard.refused += 1
                    return self._answer(401, b"who are you?", {"WWW-Authenticate": 'Basic realm="store"'})
                if self.command in ("PUT", "POST"):
                    guard.writes += 1
                    if guard.writes % guard.fail_every == 0:
                        guard.failed += 1
                        return self._answer(503, b"busy", {"Retry-After": "0"})
                query = self.path.split("?", 1)[1] if "?" in self.path else ""
                answer = httpx.request(self.command, f"{guard.upstream}?{query}", content=body, timeout=60,
                                       headers={k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")})
                self._answer(answer.status_code, answer.content, {"Content-Type": answer.headers.get("Content-Type", "text/plain")})

            def _answer(self, status, body, headers):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = _forward

        return Handler


@pytest.fixture
def guarded_oxigraph(tmp_path):
    """A fresh Oxigraph server and a factory of guards in front of its Graph Store."""
    with oxigraph_server(tmp_path) as engine:
        yield engine


@pytest.mark.parametrize("environ, authorization", [
    ({"CERTGRAPH_SPARQL_TOKEN": "s3cret"}, "Bearer s3cret"),
    ({"CERTGRAPH_SPARQL_USER": "ann", "CERTGRAPH_SPARQL_PASSWORD": "pa:ss"}, "Basic " + base64.b64encode(b"ann:pa:ss").decode()),
], ids=["bearer", "basic"])
def test_publish_authenticates_and_retries_transient_failures(environ, authorization, guarded_oxigraph, mini_store):
    guard = FlakyGuard(guarded_oxigraph.gsp_url, authorization, fail_every=3)
    progress: list[str] = []
    with serve_on_loopback(guard.handler()) as base:
        report = publish(mini_store, base + "/store", credentials=Credentials.from_env(environ), batch=2000,
                         backoff=0.01, progress=progress.append)
    # Every third write fails once: the 104 writes that batches of 2,000 need (one per started
    # batch of each graph) take 51 retries, the last write being a success.
    needed = sum(-(-n // 2000) for n in local_counts(mini_store).values())
    assert (needed, guard.failed) == (104, (needed - 1) // 2) and guard.writes == needed + guard.failed
    assert report.retries == guard.failed
    assert any("HTTP 503; retrying" in line for line in progress)
    assert guard.refused == 0 and guard.seen_authorizations == {authorization}
    assert all(g.remote == g.local for g in report.graphs)
    rows = guarded_oxigraph.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(rows[0]["n"]) == len(mini_store)


def test_publish_without_credentials_says_which_variables_to_set(guarded_oxigraph, mini_store):
    guard = FlakyGuard(guarded_oxigraph.gsp_url, "Bearer s3cret", fail_every=1000)
    with serve_on_loopback(guard.handler()) as base, pytest.raises(PublishError) as caught:
        publish(mini_store, base + "/store")
    message = str(caught.value)
    assert "HTTP 401" in message and "CERTGRAPH_SPARQL_USER" in message and "CERTGRAPH_SPARQL_TOKEN" in message
    assert guard.writes == 0


def test_publish_gives_up_after_its_retries(guarded_oxigraph, mini_store):
    guard = FlakyGuard(guarded_oxigraph.gsp_url, "Bearer t", fail_every=1)
    with serve_on_loopback(guard.handler()) as base, pytest.raises(PublishError, match="HTTP 503, still after 2 retries"):
        publish(mini_store, base + "/store", credentials=Credentials(token="t"), retries=2, backoff=0.01)
    assert guard.failed == 3


@pytest.mark.parametrize("environ, authorization", [
    ({"CERTGRAPH_SPARQL_TOKEN": "s3cret"}, "Bearer s3cret"),
    ({"CERTGRAPH_SPARQL_USER": "ann", "CERTGRAPH_SPARQL_PASSWORD": "pa:ss"}, "Basic " + base64.b64encode(b"ann:pa:ss").decode()),
], ids=["bearer", "basic"])
def test_endpoint_queries_carry_the_credentials(environ, authorization, guarded_oxigraph, mini_store, queries):
    publish(mini_store, guarded_oxigraph.gsp_url, graphs=["https://w3id.org/certgraph/graph/seed-001-rncp35080"])
    guard = FlakyGuard(guarded_oxigraph.query_url, authorization, fail_every=10**6)
    with serve_on_loopback(guard.handler()) as base:
        remote = RemoteStore(base + "/query", Credentials.from_env(environ))
        assert remote.query("ASK { <https://w3id.org/certgraph/id/rncp/35080> ?p ?o }").boolean is True
        assert guard.seen_authorizations == {authorization}
        with pytest.raises(StoreError, match="HTTP 401.*CERTGRAPH_SPARQL_TOKEN"):
            RemoteStore(base + "/query").query("ASK { ?s ?p ?o }")
    assert "s3cret" not in repr(Credentials.from_env(environ)) and "pa:ss" not in repr(Credentials.from_env(environ))


def test_publish_one_graph_only(guarded_oxigraph, mini_store):
    graph = "https://w3id.org/certgraph/graph/seed-001-rncp35080"
    report = publish(mini_store, guarded_oxigraph.gsp_url, graphs=[graph])
    assert [g.iri for g in report.graphs] == [graph] and report.graphs[0].remote == local_counts(mini_store)[graph]
    rows = guarded_oxigraph.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert [r["g"] for r in rows] == [graph]
    with pytest.raises(PublishError, match="not a named graph"):
        publish(mini_store, guarded_oxigraph.gsp_url, graphs=["https://example.org/nothing"])


def test_credentials_come_from_the_environment_only():
    assert Credentials.from_env({}) is None
    assert Credentials.from_env({"CERTGRAPH_SPARQL_TOKEN": "t", "CERTGRAPH_SPARQL_USER": "u"}).headers() == {"Authorization": "Bearer t"}
    digest = Credentials.from_env({"CERTGRAPH_SPARQL_USER": "u", "CERTGRAPH_SPARQL_PASSWORD": "p", "CERTGRAPH_SPARQL_AUTH": "digest"})
    assert type(digest.httpx_auth()).__name__ == "DigestAuth"
    with pytest.raises(StoreError, match="CERTGRAPH_SPARQL_PASSWORD"):
        Credentials.from_env({"CERTGRAPH_SPARQL_USER": "u"})
    with pytest.raises(StoreError, match="basic, digest"):
        Credentials.from_env({"CERTGRAPH_SPARQL_USER": "u", "CERTGRAPH_SPARQL_PASSWORD": "p", "CERTGRAPH_SPARQL_AUTH": "ntlm"})
    options = {p.name for p in cli.commands["publish"].params}
    assert not options & {"user", "password", "token"}


def test_certgraph_serve_is_an_endpoint_like_any_other(mini_server, mini_store, queries):
    """A read-only replica behind `certgraph serve` answers the named queries as the store does."""
    remote = RemoteStore(mini_server + "/sparql")
    for name in ("lineage/ancestors", "fiche/nearest", "fiche/summary", "codes/by-nsf"):
        query = queries[name]
        assert normalised(run_named(remote, query, query.example_values())) == normalised(run_named(mini_store, query, query.example_values()))


def test_an_answer_cut_at_the_engines_row_limit_is_an_error(tmp_path, mini_store):
    """Virtuoso's ResultSetMaxRows (10,000 in Debian's virtuoso.ini) cuts answers with status 200."""
    with virtuoso_server(tmp_path, "\n[SPARQL]\nResultSetMaxRows = 10\n") as engine:
        graph = "https://w3id.org/certgraph/graph/seed-001-rncp35080"
        publish(mini_store, engine.gsp_url, graphs=[graph], credentials=credentials(engine), verify=False)
        remote = RemoteStore(engine.query_url)
        assert len(remote.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 5").rows) == 5
        with pytest.raises(StoreError, match="cut the answer at 10 rows"):
            remote.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


# The guide's federation example (docs/guide.md), run from a researcher's Oxigraph server against `certgraph serve`.
FEDERATED = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX cg: <https://w3id.org/certgraph/ontology#>
SELECT ?number ?title WHERE {
  SERVICE <http://127.0.0.1:8000/sparql> {
    <https://w3id.org/certgraph/id/rncp/35080> dcterms:replaces+ ?ancestor .
    ?ancestor cg:number ?number .
    OPTIONAL { ?ancestor dcterms:title ?title }
  }
}"""


def test_the_guides_federation_example_runs_from_another_store(guarded_oxigraph, mini_server):
    guide = (Path(__file__).resolve().parent.parent / "docs" / "guide.md").read_text(encoding="utf-8")
    assert FEDERATED in guide
    rows = guarded_oxigraph.select(FEDERATED.replace("http://127.0.0.1:8000", mini_server))
    assert sorted({r["number"] for r in rows}) == ["RNCP1611", "RNCP28720", "RNCP5385"]


# Fiches of the whole register with varied lineages: a chain of five, a fiche without lineage, an RS
# fiche, a merge, and RNCP25857, whose 2021 and 2026 tables state opposite links (the 2021 one superseded).
EQUIVALENCE_GRAPHS = {str(SIMILARITY_GRAPH), str(SUGGESTION_GRAPH)}
READS_EQUIVALENCE = {"fiche/nearest", "lineage/suggested"}
REGISTER_FICHES = ["RNCP35080", "RNCP28720", "RNCP1611", "RNCP41296", "RS5000", "RNCP34825", "RNCP25857"]


@pytest.mark.skipif(not os.environ.get("CERTGRAPH_REGISTER_TESTS"),
                    reason="publishes the whole register to Virtuoso (two minutes): `make test-register` runs it")
def test_whole_register_on_virtuoso_gives_the_same_rows(demo_store, queries, tmp_path):
    """On the whole register Virtuoso's plans differ from the seed graph's (lineage paths followed
    back from every title, another lineage's registrations): every named query is compared there too.

    It takes two minutes of publishing, which CI's time cannot hold beside the rest: `make
    test-register` runs it (CERTGRAPH_REGISTER_TESTS=1); run it before committing a change to a
    named query or to publishing."""
    # The equivalence graphs (2.6 M quads of each fiche's nearest and suggested links) would double
    # what is sent; the queries reading them are compared on the seed graph, on Virtuoso too.
    graphs = [g for g in demo_store.named_graphs() if g not in EQUIVALENCE_GRAPHS]
    with virtuoso_server(tmp_path) as engine:
        publish(demo_store, engine.gsp_url, graphs=graphs, credentials=credentials(engine), verify=False)
        remote = RemoteStore(engine.query_url, timeout=30)
        index = index_path(demo_store.path)
        for name, query in queries.items():
            if name in READS_EQUIVALENCE:
                continue
            if name == "lineage/current":
                # Documented limit: on the whole register Virtuoso 7.2 gives lineage/current no row
                # or no answer within the time limit (on the seed graph it agrees, tested above).
                continue
            # a fiche and, where the query has one, the date (its default, today, bound the same on both)
            fiche_only = [p.name for p in query.params if p.default is None] == ["fiche"]
            for values in [{"fiche": f} for f in REGISTER_FICHES] if fiche_only else [query.example_values()]:
                here = normalised(run_named(demo_store, query, values))
                there = normalised(run_named(remote, query, values, index=index))
                # The sources' one cycle (RNCP25857 <-> RNCP28353) is not in the current lineage: the
                # 2021 link is superseded, so Virtuoso's paths, which never return their start through
                # a cycle, now give the same rows.
                if name == "fiche/summary":
                    # Documented difference: on the whole register (not on the seed graph) Virtuoso 7.2
                    # answers the EXISTS deciding `reconciled` wrongly; every other column agrees.
                    drop = lambda rows: [tuple(cell for cell in row if cell[0] != "reconciled") for row in rows]
                    assert drop(there) == drop(here), f"{name} {values}"
                    continue
                assert there == here, f"{name} {values}"

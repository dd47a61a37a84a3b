"""The full-text index: built from the mini graph, searched for facts of the seed fiches (RNCP35080
and its lineage), and held to its promises: accents, prefixes, filters, pages, stale and missing
indexes, inputs that look like FTS5 syntax, one connection shared by threads."""

from __future__ import annotations

import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import DCTERMS

from certgraph.ingest.graph import text_hash
from certgraph.ingest.search_index import build_index
from certgraph.search import (
    Index,
    Query,
    SearchIndexError,
    StaleIndexError,
    candidates,
    search,
    store_fingerprint,
)
from certgraph.store import OxigraphStore, StoreError
from certgraph.vocab import CG, block_iri, fiche_iri, graph_iri

# Where the words "vocation sociale" are in the mini graph: four titles, seven block labels.
VOCATION_SOCIALE = [
    ("fiche", "RNCP35080", None),
    # Same length, same words: equal scores, in IRI order (…/rncp/1611 before …/rncp/5385).
    ("fiche", "RNCP1611", None),
    ("fiche", "RNCP5385", None),
    # The longest title, its former title counted in its length.
    ("fiche", "RNCP28720", None),
    ("block", "RNCP28720", "RNCP28720BC01"),
    ("block", "RNCP28720", "RNCP28720BC04"),
    ("block", "RNCP35080", "RNCP35080BC01"),
    ("block", "RNCP28720", "RNCP28720BC02"),
    ("block", "RNCP35080", "RNCP35080BC02"),
    ("block", "RNCP28720", "RNCP28720BC03"),
    ("block", "RNCP35080", "RNCP35080BC03"),
]


@pytest.fixture(scope="module")
def index_path(mini_store, tmp_path_factory) -> Path:
    """The search index of the mini graph (built once for this module; read-only in the tests)."""
    path = tmp_path_factory.mktemp("search") / "search.sqlite"
    build_index(mini_store, path)
    return path


@pytest.fixture(scope="module")
def index(index_path):
    """One open index for the module's tests."""
    with Index(index_path) as opened:
        yield opened


def described(hits):
    return [(hit.kind, hit.fiche, hit.block) for hit in hits]


# ------------------------------------------------------------------ building


def test_build_counts_and_metadata(mini_store, tmp_path):
    stats = build_index(mini_store, tmp_path / "search.sqlite")
    assert (stats.fiches, stats.blocks, stats.competencies) == (4, 12, 67)
    assert stats.size == (tmp_path / "search.sqlite").stat().st_size
    assert set(stats.timings) == {"read", "index", "compact"}
    meta = dict(sqlite3.connect(tmp_path / "search.sqlite").execute("SELECT key, value FROM meta"))
    assert meta["format"] == "1"
    assert (meta["count.fiche"], meta["count.block"], meta["count.competency"]) == ("4", "12", "67")
    assert meta["fingerprint"] == stats.fingerprint == store_fingerprint(mini_store)
    assert stats.fingerprint.startswith(f"{len(mini_store)} quads, store ")


def test_former_title_is_kept_beside_the_current_one(index_path):
    rows = sqlite3.connect(index_path).execute(
        "SELECT text, other FROM entry WHERE fiche = 'RNCP28720' AND kind = 'fiche'"
    )
    assert rows.fetchall() == [(
        "Manager d'organismes à vocation sociale et culturelle et en économie sociale et solidaire",
        "Gestionnaire d'organismes à vocation sociale et culturelle",
    )]


def test_rdflib_store_gives_the_same_index(mini_rdflib, index_path, tmp_path):
    build_index(mini_rdflib, tmp_path / "search.sqlite")
    query = "SELECT id, iri, kind, fiche, block, text, other FROM entry ORDER BY id"
    assert sqlite3.connect(tmp_path / "search.sqlite").execute(query).fetchall() == (
        sqlite3.connect(index_path).execute(query).fetchall()
    )


def test_rebuild_replaces_the_file_and_leaves_no_temporary_file(mini_store, tmp_path):
    path = tmp_path / "search.sqlite"
    build_index(mini_store, path)
    with Index(path) as before:
        build_index(mini_store, path)
        # The open index still reads the file it opened (a rename, not a rewrite).
        assert described(before.search("demarche recherche")) == [("competency", "RNCP35080", "RNCP35080BC04")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search.sqlite"]
    assert path.stat().st_mode & 0o777 == 0o644


class FailingStore:
    """A store whose queries fail, as when the store is corrupt."""

    path = None

    def __len__(self):
        return 1

    def query(self, sparql):
        raise StoreError("store error: boom")


def test_failed_build_keeps_the_old_index(index_path, tmp_path):
    path = tmp_path / "search.sqlite"
    shutil.copy(index_path, path)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="boom"):
        build_index(FailingStore(), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search.sqlite"]


# ------------------------------------------------------------------ finding


def test_accentless_lowercase_words_find_the_competency(index):
    """'Mettre en œuvre d’une démarche de recherche action en ESS', RNCP35080 block 4."""
    text = "Mettre en œuvre d’une démarche de recherche action en ESS"
    (hit,) = index.search("demarche recherche")
    assert hit.iri == f"{block_iri('RNCP35080', 'RNCP35080BC04')}/competence/{text_hash(text)}"
    assert (hit.kind, hit.fiche, hit.block, hit.text) == ("competency", "RNCP35080", "RNCP35080BC04", text)
    assert hit.snippet == "Mettre en œuvre d’une [démarche] de [recherche] action en ESS"


def test_oeuvre_finds_the_ligature_in_any_case(index):
    expected = [
        ("Mettre en œuvre une dimension éthique aux différents niveaux de responsabilité", "RNCP35080BC01"),
        ("Mettre en œuvre d’une démarche de recherche action en ESS", "RNCP35080BC04"),
        (
            (
                "Mettre en œuvre, avec les élus ou avec la direction RH (selon la taille de l’organisme) de la "
                "politique de gestion des ressources humaines"
            ),
            "RNCP35080BC03",
        ),
    ]
    for text in ("oeuvre", "œuvre", "ŒUVRE", "Oeuvre"):
        hits = index.search(text, fiche="RNCP35080", kinds="competency")
        assert [(hit.text, hit.block) for hit in hits] == expected, text
        assert all("[œuvre]" in hit.snippet for hit in hits)


def test_titles_rank_first_then_blocks(index):
    hits = index.search("vocation sociale")
    assert described(hits) == VOCATION_SOCIALE
    assert hits[1].score == hits[2].score
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert hits[0].snippet == (
        # the reconciled title: Certif Info's (2024), newer than the 2021 extract's curly apostrophe
        "Manager d'organismes à [vocation] [sociale] et culturelle en économie [sociale] et solidaire"
    )


def test_former_title_is_searched_and_shown(index):
    # "Gestionnaire" is in the title of RNCP1611 and in the former title of RNCP28720 only.
    hits = index.search("gestionnaire organismes")
    assert described(hits) == [("fiche", "RNCP1611", None), ("fiche", "RNCP28720", None)]
    assert hits[0].score > hits[1].score  # a former title weighs half
    assert hits[1].text.startswith("Manager d'organismes")
    assert hits[1].snippet == "[Gestionnaire] d'[organismes] à vocation sociale et culturelle"


def test_last_word_is_a_prefix_while_typed(index):
    hits = index.search("manag", kinds="competency")
    assert described(hits) == [
        ("competency", "RNCP41296", "RNCP41296BC04"),
        ("competency", "RNCP41296", "RNCP41296BC03"),
    ]
    assert "[managériale]" in hits[0].snippet and "[manager]" in hits[1].snippet
    # Finished with a space, or too short to be a useful prefix: the word must be whole.
    assert index.search("manag ", kinds="competency") == []
    assert index.search("ma", kinds="competency") == []
    # Only the last word is a prefix.
    assert index.search("manag vocation") == []


def test_stop_words_are_dropped_beside_other_words(index):
    assert index.search("la gestion des ressources humaines") == index.search("gestion ressources humaines")
    assert described(index.search("gestion ressources humaines")) == [
        ("competency", "RNCP28720", "RNCP28720BC03"),
        ("competency", "RNCP35080", "RNCP35080BC03"),
    ]


def test_stop_words_alone_come_unranked_in_index_order(index):
    hits = index.search("et", kinds="fiche")
    assert [hit.fiche for hit in hits] == ["RNCP1611", "RNCP5385", "RNCP35080", "RNCP28720"]
    assert {hit.score for hit in hits} == {0.0}
    assert hits[0].snippet == "Gestionnaire d'organismes à vocation sociale [et] culturelle"


@pytest.mark.parametrize(
    "text",
    ['"foo" OR *', "NEAR(", "NEAR(vocation sociale)", "a:b", '"unbalanced', "text:budget", "{text other}: budget",
     "budget OR vocation", "NOT budget", "vocation AND", "sociale NOT vocation"],
)
def test_fts5_syntax_in_user_text_is_just_words(index, text):
    # No error, and no operator: every word is required, "OR", "NOT", "AND", "text" and "near" too.
    assert index.search(text) == []


def test_words_reach_fts5_quoted_and_the_prefix_as_its_completions(index):
    assert index._expression(Query.parse("Vocation SOCIALE")) == ('"vocation" AND ("sociale" OR "sociales")', 11)
    assert index._expression(Query.parse("vocation sociale ")) == ('"vocation" AND "sociale"', 11)
    # A word in no text: nothing to ask FTS5.
    assert index._expression(Query.parse("OR vocation")) is None


def test_a_dash_is_not_a_not(index):
    assert described(index.search("vocation -sociale")) == VOCATION_SOCIALE


@pytest.mark.parametrize("text", ['"budget', "-budget", "(budget", "«budget", "^budget", "BUDGET"])
def test_punctuation_before_a_word_is_ignored(index, text):
    assert described(index.search(text)) == described(index.search("budget"))


@pytest.mark.parametrize("text", ["budget*", "budget:", "budget»", '"budget"', "budget\x00", "budget "])
def test_punctuation_after_the_last_word_ends_it(index, text):
    # "budget" typed and closed: "budgétaires" no longer matches.
    assert [hit.text for hit in index.search(text)] == [
        "Construire un budget prévisionnel",
        "Assurer le suivi du budget",
        "Construire et suivre le budget de l’organisme",
        (
            "Elaborer un budget opérationnel détaillé, en tenant compte des modalités de financement, dans "
            "l’objectif de financer le plan de mise en œuvre et les moyens d’actions déterminés, en phase de "
            "conception d’un projet solidaire."
        ),
        (
            "Définir le plan de mise en œuvre et les moyens d’actions nécessaires au développement d’un projet "
            "de solidarité, en fonction du contexte, de la stratégie et du budget, en tenant compte des risques, "
            "afin de permettre la mise en œuvre opérationnelle du projet."
        ),
    ]
    assert len(index.search("budget")) == 7  # with the two "budgétaire(s)"


@pytest.mark.parametrize("text", [")(", "'", '"*" - :', "«»", "***"])
def test_text_without_a_word_is_refused(index, text):
    with pytest.raises(ValueError, match="has no letter or digit"):
        index.search(text)


# ------------------------------------------------------------------ filters and pages


def test_kinds_filter(index):
    assert described(index.search("vocation sociale", kinds=["block"])) == VOCATION_SOCIALE[4:]
    assert described(index.search("vocation sociale", kinds="fiche")) == VOCATION_SOCIALE[:4]
    both = index.search("sociale", kinds=["fiche", "competency"])
    assert [hit.kind for hit in both] == ["fiche"] * 4 + ["competency"] * 4
    assert {hit.iri for hit in both} == {hit.iri for hit in index.search("sociale") if hit.kind != "block"}
    assert index.search("vocation", kinds=[]) == []
    with pytest.raises(ValueError, match="unknown kind"):
        index.search("vocation", kinds=["title"])


def test_fiche_filter(index):
    assert described(index.search("vocation", fiche="rncp 35080")) == [
        ("fiche", "RNCP35080", None),
        ("block", "RNCP35080", "RNCP35080BC01"),
        ("block", "RNCP35080", "RNCP35080BC02"),
        ("block", "RNCP35080", "RNCP35080BC03"),
    ]
    assert index.search("vocation", fiche="RNCP41296") == []
    with pytest.raises(ValueError, match="not a fiche number"):
        index.search("vocation", fiche="35080")


def test_limit_and_offset(index):
    everything = index.search("vocation sociale", limit=100)
    assert len(everything) == 11
    assert index.search("vocation sociale", limit=3, offset=2) == everything[2:5]
    assert index.search("vocation sociale", limit=5, offset=9) == everything[9:]
    assert index.search("vocation sociale", offset=11) == []
    assert index.search("vocation sociale", limit=0) == []
    with pytest.raises(ValueError, match="negative"):
        index.search("vocation sociale", offset=-1)


def test_rank_cap_ranks_only_the_first_blocks(index_path):
    # With a cap of one, the one block ranked is the first match in index order (the shortest).
    with Index(index_path, rank_cap=1) as capped:
        first_block = ("block", "RNCP35080", "RNCP35080BC01")
        assert described(capped.search("vocation sociale")) == [*VOCATION_SOCIALE[:4], first_block]
    with Index(index_path, rank_cap=None) as exact:
        assert described(exact.search("vocation sociale")) == VOCATION_SOCIALE


def test_candidates_are_the_iris_of_the_hits(index, index_path):
    hits = index.search("vocation sociale", limit=5)
    assert index.candidates("vocation sociale", limit=5) == [hit.iri for hit in hits]
    # One word: shorter titles first; RNCP28720 has it in its former title too.
    numbers = ("RNCP1611", "RNCP5385", "RNCP28720", "RNCP35080")
    assert candidates(index_path, "vocation", kinds="fiche") == [str(fiche_iri(n)) for n in numbers]
    assert candidates(index_path, "nowhere to be found") == []


def test_search_function_opens_and_closes(index_path, index):
    assert search(index_path, "vocation sociale", limit=4) == index.search("vocation sociale", limit=4)


def test_one_index_serves_many_threads(index):
    texts = ["vocation sociale", "demarche recherche", "budget", "manag", "oeuvre", "et"] * 10
    expected = {text: index.search(text) for text in set(texts)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(index.search, texts))
    assert results == [expected[text] for text in texts]


# ------------------------------------------------------------------ bad input, missing and stale


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_text_is_refused(index, text):
    with pytest.raises(ValueError, match="nothing to search for: the text is blank"):
        index.search(text)


def test_missing_index_says_how_to_make_one(tmp_path):
    path = tmp_path / "nowhere" / "search.sqlite"
    with pytest.raises(SearchIndexError, match=r"no search index at .*nowhere/search\.sqlite: run `certgraph build`"):
        search(path, "vocation")


def test_a_file_that_is_not_an_index_is_refused(tmp_path):
    path = tmp_path / "search.sqlite"
    path.write_text("not a database, just text, long enough to fill a header....................................")
    with pytest.raises(SearchIndexError, match="is not a certgraph search index"):
        Index(path)


def test_index_of_another_format_is_stale(index_path, tmp_path):
    path = tmp_path / "search.sqlite"
    shutil.copy(index_path, path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'format'")
    with pytest.raises(StaleIndexError, match="has format 0, this version reads format 1: run `certgraph build`"):
        Index(path)


def test_index_of_another_store_is_stale(index_path, mini_store):
    other = OxigraphStore.in_memory()
    other.add_quads([(fiche_iri("RNCP99001"), CG.number, Literal("RNCP99001"), graph_iri("test"))])
    with Index(index_path, store=mini_store) as fresh:
        assert not fresh.is_stale(mini_store)
        assert fresh.is_stale(other)
    message = rf"built from another store \({len(mini_store)} quads, store .*; now 1 quads, store memory\)"
    with pytest.raises(StaleIndexError, match=message):
        Index(index_path, store=other)


# ------------------------------------------------------------------ French text


def test_ligatures_apostrophes_hyphens_and_digits(tmp_path):
    store = OxigraphStore.in_memory()
    g = graph_iri("test")
    titles = {
        "RNCP99001": "Cœur de métier : ex æquo",
        "RNCP99002": "Droit de l’entreprise",
        "RNCP99003": "Droit de l'entreprise agricole",
        "RNCP99004": "Co-construire un projet de niveau 5",
        "RNCP99005": "Straße et ﬁnances",
    }
    quads = []
    for number, title in titles.items():
        quads.append((fiche_iri(number), CG.number, Literal(number), g))
        quads.append((fiche_iri(number), DCTERMS.title, Literal(title, lang="fr"), g))
    store.add_quads(quads)
    path = tmp_path / "search.sqlite"
    build_index(store, path)

    def found(text):
        return sorted(hit.fiche for hit in search(path, text))

    assert found("coeur") == found("CŒUR") == found("cœur") == ["RNCP99001"]
    assert found("aequo") == found("æquo") == ["RNCP99001"]
    assert found("l'entreprise") == found("l’entreprise") == found("entreprise") == ["RNCP99002", "RNCP99003"]
    assert found("co-construire") == found("co construire") == ["RNCP99004"]
    assert found("niveau 5") == ["RNCP99004"]
    assert found("5") == ["RNCP99004"]
    assert found("strasse") == found("finances") == ["RNCP99005"]
    assert search(path, "coeur")[0].snippet == "[Cœur] de métier : ex æquo"
    assert Query.parse("l’entreprise de co-construire") == Query(("entreprise", "co", "construire"), prefix=True)

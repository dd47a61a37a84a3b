"""Tests for the ROME, NSF and Formacode readers: real facts of the shipped files, and bad rows."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from certgraph.records import Concept, Loaded, Problem
from certgraph.sources.codelists import (
    NSF_GROUPS,
    NSF_KNOWN_OUTSIDE_DECREE,
    NSF_LETTERS,
    merge_rome,
    nsf_code_is_valid,
    read_formacode,
    read_nsf,
    read_rome,
    read_rome_v3,
    read_rome_v4,
    split_nsf,
)

DATA = Path(__file__).resolve().parents[1] / "data"
ROME_V4 = DATA / "rome" / "rome4-v460" / "unix_referentiel_code_rome_v460_utf8.csv"


def by_code(loaded: Loaded, scheme: str) -> dict[str, Concept]:
    """The concepts of one scheme, by code (fails on a duplicate code)."""
    concepts = [concept for concept in loaded.concepts if concept.scheme == scheme]
    index = {concept.code: concept for concept in concepts}
    assert len(index) == len(concepts), "duplicate codes"
    return index


def kinds(loaded: Loaded) -> Counter:
    """How many concepts of each (scheme, kind)."""
    return Counter((concept.scheme, concept.kind) for concept in loaded.concepts)


def warnings(loaded: Loaded) -> list[Problem]:
    """The problems worse than informational."""
    return [problem for problem in loaded.problems if problem.severity != "info"]


@pytest.fixture(scope="module")
def rome_v3() -> Loaded:
    """ROME v3.44 as read from the shipped files (use for the v3 tree and labels)."""
    return read_rome_v3(DATA / "rome")


@pytest.fixture(scope="module")
def rome() -> Loaded:
    """ROME v3 merged with ROME 4.0 (use for what the graph receives)."""
    return read_rome(DATA / "rome")


@pytest.fixture(scope="module")
def nsf() -> Loaded:
    """The NSF decree tree, letters and RNCP-observed codes."""
    return read_nsf(DATA / "nsf")


@pytest.fixture(scope="module")
def formacode() -> Loaded:
    """Formacode v14 terms, grands domaines and semantic fields."""
    return read_formacode(DATA / "formacode")


# ROME --------------------------------------------------------------------------------------


def test_rome_v3_counts_and_tree(rome_v3):
    assert kinds(rome_v3) == {
        ("rome", "grand_domaine"): 14,
        ("rome", "domaine"): 110,
        ("rome", "fiche"): 532,
        ("rome", "appellation"): 11096,
    }
    assert warnings(rome_v3) == []
    codes = by_code(rome_v3, "rome")
    assert codes["K1403"].label_fr == "Management de structure de santé, sociale ou pénitentiaire"
    assert codes["K1403"].broader == ["K14"]
    assert codes["K14"].broader == ["K"]
    # the XML keeps the official commas the CSV conversion turned into semicolons
    assert codes["A"].label_fr == "Agriculture et Pêche, Espaces naturels et Espaces verts, Soins aux animaux"
    assert codes["10200"].label_fr == "Abatteur / Abatteuse de carrière"
    assert codes["10200"].broader == ["F1402"]
    assert codes["10202"].alt_labels == ["Accastilleur(se)-monteur(se) électronique de marine"]


def test_rome_v3_sources(rome_v3):
    assert [(source.key, source.path) for source in rome_v3.sources] == [
        ("rome-v344-arborescence", "rome/coderome2rdf-v344/unix_arborescence_v344_iso8859-15.xml"),
        ("rome-v3-ogr-rome-2021", "rome/labonneboite-2021/ogr_rome_mapping.csv"),
        ("rome-v344-appellations", "rome/coderome2rdf-v344/unix_referentiel_appellation_v344_iso8859-15.xml"),
    ]
    tree = rome_v3.sources[0]
    assert tree.licence == "Licence Ouverte / Etalab 2.0"
    assert tree.origin.startswith("https://github.com/sparna-git/coderome2rdf/")
    assert tree.issued.year == 2021


def test_rome_v4():
    loaded = read_rome_v4(ROME_V4)
    codes = by_code(loaded, "rome")
    assert len(codes) == 1584
    assert loaded.problems == []
    assert loaded.sources[0].key == "rome-v460-codes"
    assert loaded.sources[0].path == "rome/rome4-v460/unix_referentiel_code_rome_v460_utf8.csv"
    assert codes["K1403"].label_fr == "Directeur / Directrice de structure de santé, sociale ou pénitentiaire"
    assert codes["K1403"].broader == []
    assert codes["A1102"].broader == ["A1101"]
    assert "emploi cadre" in codes["K1802"].note
    assert sum(1 for concept in codes.values() if not concept.broader) == 532


def test_rome_merged(rome):
    codes = by_code(rome, "rome")
    assert len(codes) == 14 + 110 + 1584 + 11096
    k1403 = codes["K1403"]
    assert k1403.label_fr == "Directeur / Directrice de structure de santé, sociale ou pénitentiaire"
    assert k1403.alt_labels == ["Management de structure de santé, sociale ou pénitentiaire"]
    assert k1403.broader == ["K14"]
    assert codes["K14"].broader == ["K"]
    # RNCP prints K1800, but it is only the domaine K18 padded with zeros
    assert "K1800" not in codes
    assert codes["K18"].kind == "domaine"
    assert codes["A1102"].broader == ["A1101"]
    assert len(rome.sources) == 4
    assert warnings(rome) == []


def test_every_rome_broader_is_a_concept(rome):
    codes = by_code(rome, "rome")
    assert all(parent in codes for concept in codes.values() for parent in concept.broader)
    assert all(concept.broader for concept in codes.values() if concept.kind != "grand_domaine")


def test_every_concept_names_the_file_it_comes_from(rome, nsf, formacode):
    def keys(loaded, scheme, kind):
        return {c.source.key for c in loaded.concepts if c.scheme == scheme and c.kind == kind}

    assert keys(rome, "rome", "domaine") == {"rome-v344-arborescence"}
    assert keys(rome, "rome", "fiche") == {"rome-v460-codes"}
    assert keys(rome, "rome", "appellation") == {"rome-v344-appellations"}
    assert keys(nsf, "nsf", "groupe") == {"nsf-d311-4-hierarchie"}
    assert keys(nsf, "nsf", "specialite") == {"nsf-rncp-2021-observes"}
    assert keys(nsf, "nsf-lettre", "fonction") == {"nsf-d311-4-lettres"}
    assert keys(formacode, "formacode", "grand_domaine") == {"formacode-v14-grands-domaines"}
    assert keys(formacode, "formacode", "terme") == {"formacode-v14"}
    assert keys(formacode, "formacode-champ", "champ_semantique") == {"formacode-v14"}


def test_merge_rome_leaves_inputs_unchanged(rome_v3):
    v4 = read_rome_v4(ROME_V4)
    merge_rome(rome_v3, v4)
    assert by_code(rome_v3, "rome")["K1403"].label_fr == "Management de structure de santé, sociale ou pénitentiaire"
    assert by_code(rome_v3, "rome")["K1403"].alt_labels == []


ARBO_HEAD = '<?xml version="1.0" encoding="iso-8859-15" ?>\n<ogr>\n'


def arbo_item(code: str, parent: str, label: str, node: str = "NOEUD") -> str:
    """One item of the ROME main tree, on one line, as the official file has it over several."""
    return (
        "<item_arborescence><libelle_referentiel>Arborescence  principale</libelle_referentiel>"
        f"<libelle_noeud>{node}</libelle_noeud><code_noeud>{code}</code_noeud><code_pere>{parent}</code_pere>"
        f"<libelle>{label}</libelle></item_arborescence>\n"
    )


def test_rome_v3_bad_rows(tmp_path):
    folder = tmp_path / "rome"
    (folder / "coderome2rdf-v344").mkdir(parents=True)
    (folder / "labonneboite-2021").mkdir()
    tree = (
        ARBO_HEAD
        + arbo_item("K", "Racine AP", "Services à la personne et à la collectivité")
        + arbo_item("K14", "K", "Conception et mise en oeuvre des politiques publiques")
        + arbo_item("K1403", "K14", "Management de structure de santé, sociale ou pénitentiaire", "FEUILLE")
        + arbo_item("K14X3", "K14", "Code mal formé", "FEUILLE")
        + arbo_item("K1404", "K14", "", "FEUILLE")
        + "</ogr>\n"
    )
    (folder / "coderome2rdf-v344" / "unix_arborescence_v344_iso8859-15.xml").write_text(tree, encoding="iso-8859-15")
    appellations = (
        ARBO_HEAD
        + "<item_referentiel_appellation><code_ogr>38400</code_ogr><libelle>Directeur / Directrice d'EHPAD</libelle>"
        "<libelle_court>Directeur / Directrice d'EHPAD</libelle_court></item_referentiel_appellation>\n"
        + "<item_referentiel_appellation><code_ogr>x1</code_ogr><libelle>Sans code</libelle>"
        "</item_referentiel_appellation>\n</ogr>\n"
    )
    (folder / "coderome2rdf-v344" / "unix_referentiel_appellation_v344_iso8859-15.xml").write_text(
        appellations, encoding="iso-8859-15"
    )
    (folder / "labonneboite-2021" / "ogr_rome_mapping.csv").write_text("ogr_id|rome_id\n38400|K1403\n38401\n")

    loaded = read_rome_v3(folder)

    codes = by_code(loaded, "rome")
    assert sorted(codes) == ["38400", "K", "K14", "K1403"]
    assert codes["38400"].broader == ["K1403"]
    assert codes["K1403"].label_fr == "Management de structure de santé, sociale ou pénitentiaire"
    found = {(problem.source, problem.line) for problem in loaded.problems}
    assert found == {
        ("rome/coderome2rdf-v344/unix_arborescence_v344_iso8859-15.xml", 6),
        ("rome/coderome2rdf-v344/unix_arborescence_v344_iso8859-15.xml", 7),
        ("rome/labonneboite-2021/ogr_rome_mapping.csv", 3),
        ("rome/coderome2rdf-v344/unix_referentiel_appellation_v344_iso8859-15.xml", 4),
    }
    assert any("K14X3" in problem.message for problem in loaded.problems)


def test_rome_v3_missing_and_malformed_files(tmp_path):
    folder = tmp_path / "rome"
    (folder / "coderome2rdf-v344").mkdir(parents=True)
    tree = ARBO_HEAD + arbo_item("K", "Racine AP", "Services") + "<item_arborescence><code_noeud>K14"
    (folder / "coderome2rdf-v344" / "unix_arborescence_v344_iso8859-15.xml").write_text(tree, encoding="iso-8859-15")

    loaded = read_rome_v3(folder)

    assert [concept.code for concept in loaded.concepts] == ["K"]
    assert loaded.missing == [
        "rome/labonneboite-2021/ogr_rome_mapping.csv",
        "rome/coderome2rdf-v344/unix_referentiel_appellation_v344_iso8859-15.xml",
    ]
    assert any("malformed XML" in problem.message for problem in loaded.problems)


def test_rome_v4_bad_rows(tmp_path):
    path = tmp_path / "unix_referentiel_code_rome_v460_utf8.csv"
    path.write_text(
        '"code_rome","code_fiche_metier","code_ogr","libelle_rome","transition_eco","transition_num",'
        '"transition_demo","emploi_reglemente","emploi_cadre","code_rome_parent"\n'
        '"K1403","592","381","Directeur / Directrice de structure de santé","Emploi Blanc","","O","","","K1403"\n'
        '"K14O3","1","2","Code mal formé","","","","","","K1403"\n'
        '"K1404","1","2","Colonne manquante"\n'
        '"K1499","1","2","Adjoint","","","","","O","K1403"\n',
        encoding="utf-8",
    )

    loaded = read_rome_v4(path, root=tmp_path)

    assert [(concept.code, concept.broader) for concept in loaded.concepts] == [("K1403", []), ("K1499", ["K1403"])]
    assert [(problem.source, problem.line) for problem in loaded.problems] == [
        ("unix_referentiel_code_rome_v460_utf8.csv", 3),
        ("unix_referentiel_code_rome_v460_utf8.csv", 4),
    ]


# NSF ---------------------------------------------------------------------------------------


def test_nsf_counts(nsf):
    assert kinds(nsf) == {
        ("nsf", "domaine"): 4,
        ("nsf", "sous_domaine"): 17,
        ("nsf", "groupe"): 93,
        ("nsf", "specialite"): 350,
        ("nsf-lettre", "champ_application_disciplinaire"): 7,
        ("nsf-lettre", "fonction"): 9,
        ("nsf-lettre", "developpement_personnel"): 1,
    }
    assert [source.key for source in nsf.sources] == [
        "nsf-d311-4-hierarchie",
        "nsf-d311-4-lettres",
        "nsf-rncp-2021-observes",
    ]
    assert warnings(nsf) == []


def test_nsf_tree(nsf):
    codes = by_code(nsf, "nsf")
    assert codes["332n"].label_fr == "Expertise sociale et projets sociaux"
    assert codes["332n"].kind == "specialite"
    assert codes["332n"].broader == ["332"]
    assert codes["332"].broader == ["33"]
    assert codes["33"].broader == ["3"]
    assert codes["3"].broader == []
    assert codes["330"].label_fr == "Spécialités plurivalentes sanitaires et sociales"
    assert codes["330"].alt_labels == ["Spécialites plurivalentes des services aux personnes"]
    assert codes["332"].alt_labels == []
    letters = by_code(nsf, "nsf-lettre")
    assert (letters["n"].label_fr, letters["n"].kind) == ("Conception", "fonction")


def test_nsf_observed_code_outside_the_decree_is_read_and_known(nsf):
    # The register printed 132v, which the decree does not allow: read as printed, listed as known
    # (with why), so that the shipped list has no problem a strict build would fail on.
    assert by_code(nsf, "nsf")["132v"].broader == ["132"]
    assert not nsf_code_is_valid("132v")
    assert sorted(NSF_KNOWN_OUTSIDE_DECREE) == ["132v"] and "fonction letter" in NSF_KNOWN_OUTSIDE_DECREE["132v"]
    assert nsf.problems == []


@pytest.mark.parametrize(
    "code, valid",
    [
        ("332n", True),
        ("330p", True),
        ("310m", True),
        ("132b", True),
        ("415z", True),
        ("332", True),
        ("33", True),
        ("3", True),
        ("332N", True),
        ("132v", False),
        ("332a", False),
        ("415m", False),
        ("109", False),
        ("999", False),
        ("5", False),
        ("3321", False),
        ("33n", False),
        ("", False),
    ],
)
def test_nsf_code_is_valid(code, valid):
    assert nsf_code_is_valid(code) is valid


def test_split_nsf():
    assert split_nsf("332n") == ("332", "n")
    assert split_nsf("330") == ("330", None)
    with pytest.raises(ValueError):
        split_nsf("RNCP")


def test_nsf_rule_matches_the_data_files():
    with (DATA / "nsf" / "nsf_hierarchie_D311-4.csv").open(encoding="utf-8") as handle:
        groups = {row["code"] for row in csv.DictReader(handle, delimiter=";") if row["niveau"] == "groupe_3"}
    assert NSF_GROUPS == groups
    with (DATA / "nsf" / "nsf_codes_lettres_D311-4.csv").open(encoding="utf-8") as handle:
        by_type = Counter()
        for row in csv.DictReader(handle, delimiter=";"):
            by_type[row["type"]] += 1
            allowed_in = {digit for digit, letters in NSF_LETTERS.items() if row["lettre"] in letters}
            expected = {"champ_application_disciplinaire": {"1"}, "fonction": {"2", "3"}}.get(row["type"], {"4"})
            assert allowed_in == expected, row
    assert by_type == {"champ_application_disciplinaire": 7, "fonction": 9, "developpement_personnel": 1}


def test_nsf_bad_rows(tmp_path):
    folder = tmp_path / "nsf"
    folder.mkdir()
    (folder / "nsf_hierarchie_D311-4.csv").write_text(
        "code;niveau;libelle;parent\n"
        "3;domaine_1;Domaines technico-professionnels des services;\n"
        "33;domaine_2;Services aux personnes;3\n"
        "332;groupe_3;Travail social;33\n"
        "33X;groupe_3;Code mal formé;33\n"
        "331;groupe_3\n",
        encoding="utf-8",
    )
    (folder / "nsf_codes_lettres_D311-4.csv").write_text(
        "lettre;type;libelle\nn;fonction;Conception\nNN;fonction;Deux lettres\n", encoding="utf-8"
    )
    (folder / "nsf_codes_observes_rncp_2021.csv").write_text(
        "code;niveau;parent;libelle_rncp;nb_fiches_rncp_2021\n"
        "332n;groupe_3_lettre;332;Expertise sociale et projets sociaux;38\n"
        "999n;groupe_3_lettre;999;Groupe inconnu;1\n"
        "332p;groupe_3_lettre;332\n"
        "332b;groupe_3_lettre;332;Lettre hors du décret;1\n",
        encoding="utf-8",
    )

    loaded = read_nsf(folder)

    # 332b is outside the decree and not a known exception: read as printed, and reported.
    assert sorted(by_code(loaded, "nsf")) == ["3", "33", "332", "332b", "332n"]
    assert sorted(by_code(loaded, "nsf-lettre")) == ["n"]
    assert sorted((problem.source, problem.line, problem.severity) for problem in loaded.problems) == [
        ("nsf/nsf_codes_lettres_D311-4.csv", 3, "warning"),
        ("nsf/nsf_codes_observes_rncp_2021.csv", 3, "warning"),
        ("nsf/nsf_codes_observes_rncp_2021.csv", 4, "warning"),
        ("nsf/nsf_codes_observes_rncp_2021.csv", 5, "info"),
        ("nsf/nsf_hierarchie_D311-4.csv", 5, "warning"),
        ("nsf/nsf_hierarchie_D311-4.csv", 6, "warning"),
    ]


# Formacode ---------------------------------------------------------------------------------


def test_formacode_counts(formacode):
    assert kinds(formacode) == {
        ("formacode", "terme"): 2775,
        ("formacode", "grand_domaine"): 14,
        ("formacode-champ", "champ_semantique"): 65,
    }
    assert [source.key for source in formacode.sources] == ["formacode-v14-grands-domaines", "formacode-v14"]
    assert formacode.sources[1].publisher == "Centre Inffo"
    # 76 TA references name codes of other facets (7xxxx, publics 8xxxx, 9xxxx): not terms of this
    # file, left out, and no problem of it.
    assert formacode.problems == []


def test_formacode_terms(formacode):
    codes = by_code(formacode, "formacode")
    project = codes["32135"]
    assert project.label_fr == "Conduite projet"
    assert project.broader == ["32154"]
    assert "gestion projet" in project.alt_labels
    assert "chef projet" in project.alt_labels
    assert "32135" not in project.related
    assert "31094" in project.related
    assert codes["44056"].label_fr == "Travail social en réseau"
    assert codes["44056"].broader == ["44054"]
    # a field's head term hangs under its grand domaine
    assert codes["32154"].broader == ["00110"]
    assert codes["00110"].label_fr == "Vie et gestion des organisations"
    assert codes["00110"].kind == "grand_domaine"


def test_formacode_fields(formacode):
    fields = by_code(formacode, "formacode-champ")
    assert fields["321"].label_fr == "Encadrement management"
    assert fields["321"].alt_labels == ["ENCADREMENT MANAGEMENT"]
    terms = [concept for concept in formacode.concepts if concept.kind == "terme"]
    assert all(term.code[:3] in fields for term in terms)


def test_every_formacode_reference_is_a_concept(formacode):
    codes = by_code(formacode, "formacode")
    for concept in codes.values():
        assert all(code in codes for code in concept.broader + concept.related), concept.code
    assert all(concept.broader for concept in codes.values() if concept.kind == "terme")


FORMACODE_HEADER = (
    "Code du Terme;Descripteur en majuscules;Descripteur en typo riche;Champ sémantique;Synonymes;"
    "Synonymes métier;TG (Terme Générique);TS (Termes Spécifiques);TA (Termes Associés);NE (Note d’Explication);"
    "NA (Note d’Application);Note de version;ex-synonyme V-1;Code arborescence"
)


def test_formacode_bad_rows(tmp_path):
    folder = tmp_path / "formacode"
    folder.mkdir()
    (folder / "formacodes-grands-domaines-v14.csv").write_text(
        "\ufeffCode du Terme;Descripteur en majuscules;Descripteur en typo riche;TS (Termes Spécifiques);"
        "Note de version;Code arborescence\r\n"
        "00110;VIE ET GESTION DES ORGANISATIONS;Vie et gestion des organisations;"
        "Encadrement management - 32154;null;K0\r\n",
        encoding="utf-8",
        newline="",
    )
    rows = [
        "32154;ENCADREMENT MANAGEMENT;Encadrement management;321 ENCADREMENT MANAGEMENT;;;"
        "Vie et gestion des organisations;Conduite projet - 32135;;;;;;K0A0",
        "32135;CONDUITE PROJET;Conduite projet;321 ENCADREMENT MANAGEMENT;gestion projet;chef projet;"
        "Encadrement management - 32154;;Conduite projet - 32135###Public cadre - 81099###Terme absent - 32199;"
        "Méthodes.;;;;K0A0A2",
        "3213X;CODE MAL FORME;Code mal formé;321 ENCADREMENT MANAGEMENT;;;Encadrement management - 32154;;;;;;;K0A0A3",
        "32136;COLONNE MANQUANTE;Colonne manquante;321 ENCADREMENT MANAGEMENT",
    ]
    (folder / "formacodes-v14.csv").write_text(
        "\ufeff" + FORMACODE_HEADER + "\r\n" + "\r\n".join(rows) + "\r\n", encoding="utf-8", newline=""
    )

    loaded = read_formacode(folder)

    codes = by_code(loaded, "formacode")
    assert sorted(codes) == ["00110", "32135", "32154"]
    assert codes["32135"].related == []
    assert codes["32135"].note == "Méthodes."
    assert codes["32135"].alt_labels == ["gestion projet", "chef projet"]
    # 81099 is of another facet (publics): left out silently; 32199 is of field 321 but no term: reported.
    assert sorted((problem.source, problem.line) for problem in loaded.problems) == [
        ("formacode/formacodes-v14.csv", 3),
        ("formacode/formacodes-v14.csv", 4),
        ("formacode/formacodes-v14.csv", 5),
    ]
    assert "32135: TA 32199 names no term of its semantic field 321; left out" in {p.message for p in loaded.problems}


"""Tests of the France Compétences XML export reader, on the real fixture and on broken copies of it.

The fixture (``data/rncp/xml-fixture/``) holds 12 real RNCP fiches and 8 real RS fiches. The broken
copies are written into ``tmp_path`` from the RS file, whose fiches start on lines 4 (RS6232), 93
(RS5719), 3076 (RS6547), 3191 (RS5000), 3273 (RS5568), 3471 (RS6604), 3544 (RS7485) and 3626 (RS7423).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from certgraph.ingest.graph import fiche_quads, source_quads
from certgraph.records import (
    BlockCorrespondence,
    CohortStatistic,
    Fiche,
    LegalPublication,
    LineageRef,
    Loaded,
    Partner,
    Problem,
)
from certgraph.sources import fc_xml_chunks
from certgraph.sources.fc_csv import read_fc_export
from certgraph.sources.fc_xml import ROUTES, iter_fc_xml, read_fc_xml
from certgraph.vocab import CG, TERMS, XKOS, eqf_iri, fiche_iri, graph_iri

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURE = DATA / "rncp" / "xml-fixture"
RNCP_XML = FIXTURE / "export_fiches_RNCP_fixture.xml"
RS_XML = FIXTURE / "export_fiches_RS_fixture.xml"
RS_TEXT = RS_XML.read_text(encoding="utf-8")
RS_NUMBERS = ["RS6232", "RS5719", "RS6547", "RS5000", "RS5568", "RS6604", "RS7485", "RS7423"]
ID = "https://w3id.org/certgraph/id/"


@pytest.fixture(scope="module")
def rncp() -> Loaded:
    """The 12 RNCP fiches of the fixture."""
    return read_fc_xml(RNCP_XML, data_dir=DATA)


@pytest.fixture(scope="module")
def rs() -> Loaded:
    """The 8 RS fiches of the fixture."""
    return read_fc_xml(RS_XML, data_dir=DATA)


@pytest.fixture(scope="module")
def fiches(rncp, rs) -> dict[str, Fiche]:
    """Every fixture fiche by number."""
    return {fiche.number: fiche for fiche in rncp.fiches + rs.fiches}


@pytest.fixture(scope="module")
def triples(rncp, rs) -> set[tuple]:
    """The quads of every fixture fiche, as (s, p, o, g) tuples."""
    return {quad for fiche in rncp.fiches + rs.fiches for quad in fiche_quads(fiche)}


def write(tmp_path: Path, text: str | bytes, name: str = "export_fiches_RS_broken.xml") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def numbers(loaded: Loaded) -> list[str]:
    return [fiche.number for fiche in loaded.fiches]


# --- the real fixture ---------------------------------------------------------------------------


def test_fixture_reads_every_element_without_problems(rncp, rs):
    # No problem means no unknown element either: every element of the fixture has a reader.
    assert rncp.problems == [] and rs.problems == []
    assert numbers(rncp) == [
        "RNCP34762", "RNCP35809", "RNCP35625", "RNCP35419", "RNCP37488", "RNCP40344",
        "RNCP36612", "RNCP37674", "RNCP36490", "RNCP35959", "RNCP37873", "RNCP39568",
    ]  # fmt: skip
    assert numbers(rs) == RS_NUMBERS


def test_one_source_per_file(rncp, rs):
    assert [source.key for source in rncp.sources + rs.sources] == ["fc-xml-rncp", "fc-xml-rs"]
    source = rncp.sources[0]
    assert source.path == "rncp/xml-fixture/export_fiches_RNCP_fixture.xml"
    assert source.title == "France Compétences XML export (flux 4.1), RNCP register"
    assert source.publisher == "France Compétences"
    assert source.licence == "Licence Ouverte / Etalab 2.0"
    assert source.issued is None
    assert all(fiche.source is source for fiche in rncp.fiches)


def test_source_key_from_a_dated_name_or_from_issued(tmp_path):
    dated = write(tmp_path, RS_TEXT, "export-fiches-rs-v4-1-2026-02-01.xml")
    source = read_fc_xml(dated, issued=dt.date(2025, 1, 1), data_dir=tmp_path).sources[0]
    assert (source.key, source.issued, source.path) == (
        "fc-xml-2026-02-01-rs",
        dt.date(2026, 2, 1),
        "export-fiches-rs-v4-1-2026-02-01.xml",
    )
    assert source.title == "France Compétences XML export (flux 4.1) of 2026-02-01, RS register"
    # The name says neither register nor date: the first fiche's number and ``issued`` do.
    plain = write(tmp_path, RS_TEXT, "export.xml")
    assert read_fc_xml(plain, issued=dt.date(2026, 3, 1)).sources[0].key == "fc-xml-2026-03-01-rs"
    assert read_fc_xml(plain).sources[0].key == "fc-xml-rs"


def test_lineage(fiches):
    assert fiches["RS5000"].successors == [LineageRef("RS6604")]
    assert fiches["RS5000"].active is False
    assert fiches["RS6232"].successors == [LineageRef("RS7485")]
    assert fiches["RS6232"].predecessors == [LineageRef("RS5078")]
    assert fiches["RNCP34762"].successors == [LineageRef("RNCP39568")]
    assert fiches["RNCP34762"].predecessors == [LineageRef("RNCP24998")]
    assert fiches["RNCP39568"].predecessors == [LineageRef("RNCP34762")]


def test_rncp34762_identity(fiches):
    fiche = fiches["RNCP34762"]
    assert fiche.title == "Programme Grande Ecole – Diplôme d’études supérieures en management"
    assert (fiche.level_eqf, fiche.level_label) == (7, "Niveau 7")
    assert [code.code for code in fiche.nsf] == ["313", "310", "315p"]
    assert fiche.nsf[2].label == "Spécialités plurivalentes des échanges et de la gestion (organisation, gestion)"
    assert [c.siret for c in fiche.certifiers] == ["81738914100018", "11004401300040"]
    assert fiche.certifiers[0].name == "ETABLISSEMENT D'ENSEIGNEMENT SUPERIEUR CONSULAIRE GRENOBLE ECOLE DE MANAGEMENT"
    assert (fiche.certifiers[0].active, fiche.certifiers[0].state_modified) == (True, dt.date(2020, 7, 23))
    assert (fiche.abbreviation, fiche.abbreviation_code) == ("Diplôme visé grade de master", "DipViGrM")
    assert (fiche.fc_id, fiche.status, fiche.active) == ("20172", "Publiée", False)
    assert fiche.registration_type == "Enregistrement de droit"
    assert (fiche.publication_date, fiche.effect_date, fiche.end_date) == (
        dt.date(2020, 7, 23),
        dt.date(2020, 9, 1),
        dt.date(2024, 8, 31),
    )
    assert (fiche.new_caledonia, fiche.french_polynesia, fiche.has_partners) == (False, False, False)
    assert [code.code for code in fiche.formacodes] == ["34254", "32054", "32139", "34054", "32654"]
    assert fiche.website == "https://www.grenoble-em.com/programme-grande-ecole"


def test_counts_across_the_rncp_file(rncp, rs):
    assert sum(len(fiche.blocks) for fiche in rncp.fiches) == 53
    assert sum(len(fiche.partners) for fiche in rncp.fiches) == 1079
    assert sum(len(fiche.partners) for fiche in rs.fiches) == 408
    assert sum(len(fiche.certifiers) for fiche in rncp.fiches) == 17
    assert sum(len(fiche.statistics) for fiche in rncp.fiches) == 20
    assert sum(len(fiche.correspondences) for fiche in rncp.fiches) == 47
    assert sum(len(fiche.access_routes) for fiche in rncp.fiches) == 72


def test_block_text(fiches):
    block = fiches["RNCP34762"].blocks[0]
    assert block.code == "RNCP34762BC01"
    assert block.label == "Stratégie, organisation, environnement socioéconomique et géopolitique"
    assert block.raw_text.startswith("A1C1. Evaluer, depuis son périmètre et/ou son métier")
    assert len(block.competencies) == 7
    assert block.competencies[1].startswith("Apprécier, depuis son périmètre d'activité, les incidences")
    assert block.assessment[0].startswith("A1C1.Note d'alerte ou d'évaluation d'un contexte économique")
    assert block.assessment_raw_text.endswith("(conformité, recommandation à sa direction)")


def test_correspondences(fiches):
    found = fiches["RNCP36490"].correspondences
    assert BlockCorrespondence("RNCP35419", ["RNCP36490BC02", "RNCP36490BC03"], ["RNCP35419BC04"]) in found
    assert BlockCorrespondence("RS6626", ["RNCP36490BC04"], []) in found
    # A whole fiche to a whole fiche, then block to block.
    assert fiches["RNCP37674"].correspondences == [
        BlockCorrespondence("RNCP31114", [], []),
        BlockCorrespondence("RNCP31114", ["RNCP37674BC01"], ["RNCP31114BC01"]),
        BlockCorrespondence("RNCP31114", ["RNCP37674BC02"], ["RNCP31114BC02"]),
    ]


def test_juries(fiches):
    routes = {route.code: route for route in fiches["RS6232"].access_routes}
    assert sorted(routes) == ["CL", "CQ", "FC", "FI", "VAE"]  # RS fiches have no apprenticeship route
    assert routes["FC"].open is True
    assert routes["FC"].label == "Après un parcours de formation continue"
    assert routes["FC"].jury == (
        "Un représentant de l'organisme de certification, un référent métier maritime et un référent amiante."
    )
    assert (routes["VAE"].open, routes["VAE"].jury) == (False, None)
    vae = next(route for route in fiches["RNCP36490"].access_routes if route.code == "VAE")
    assert vae.modified == dt.date(2022, 6, 7)
    assert vae.jury.startswith("Jury national unique composé de 7 membres : 1 président de jury interne CESI")


def test_route_labels_are_the_csv_export_labels():
    csv = read_fc_export(DATA / "rncp" / "api-apprentissage-fixture-2024-02-22" / "export-fiches-csv-2024-02-22.zip")
    labels = {route.label for fiche in csv.fiches for route in fiche.access_routes}
    assert set(ROUTES.values()) <= labels


def test_statistics(fiches):
    assert fiches["RNCP34762"].statistics == [
        CohortStatistic(2018, certified=876, certified_vae=1, insertion_rate_6m=76),
        CohortStatistic(2017, certified=853, certified_vae=0, insertion_rate_6m=81, job_insertion_rate_2y=81),
    ]
    assert fiches["RS6232"].statistics == [CohortStatistic(2020, certified=4), CohortStatistic(2021, certified=9)]
    assert fiches["RNCP36612"].cohort_years == [2022, 2021]


def test_rs_only_fields(fiches):
    fiche = fiches["RS6232"]
    assert fiche.mastery_level == "sans objet"
    assert (fiche.partial_validation, fiche.has_partners, fiche.registration_years) == (False, False, 3)
    assert (fiche.decision_date, fiche.end_date, fiche.award_deadline) == (
        dt.date(2023, 1, 25),
        dt.date(2026, 1, 25),
        dt.date(2026, 7, 25),
    )
    assert [(c.name, c.siret, c.active) for c in fiche.certifiers] == [
        ("ADXF2", "93905426800023", True),
        ("ADX FORMATION", "84210466300039", False),
        ("ADX FORMATION", "84210466300013", False),
    ]
    prerequisites = fiches["RS7485"].certification_prerequisites
    assert prerequisites.startswith("Se référer aux annexes de l’Arrêté du 19 juin 2019")
    assert (fiche.level_eqf, fiche.blocks) == (None, [])


def test_partners(fiches):
    assert fiches["RNCP40344"].partners[0] == Partner(
        name="AGRICAMPUS LAVAL",
        siret="19530081900016",
        habilitation="HABILITATION_ORGA_FORM",
        active=True,
        active_since=dt.date(2025, 3, 28),
        state_modified=dt.date(2025, 3, 28),
    )
    assert len(fiches["RNCP37674"].partners) == 471


def test_publications(fiches):
    general, creation, other = fiches["RNCP34762"].publications
    assert general == LegalPublication(
        "general",
        "Arrêté du 4 novembre 1985 paru au Journal officiel du 9 novembre 1985 Autorisation à l’Ecole supérieur "
        "de commerce et d’administration des entreprise de Grenoble à délivrer un diplôme visé par le ministre "
        "de l’Education nationale",
        dt.date(1985, 11, 9),
    )
    assert (creation.role, other.role, creation.jo_date) == ("creation", "other", dt.date(2020, 7, 23))
    assert creation.title.startswith("Arrêté du 08/07/2020 – BO n°30 du 23/07/2020")


def test_fiche_level_texts_and_links(fiches):
    assert fiches["RNCP35419"].jobs[:3] == ["Analyste-Programmeur", "Architecte logiciel", "Concepteur développeur"]
    assert fiches["RNCP37488"].activities[0] == "Installation et qualification"
    assert fiches["RNCP40344"].website == "https://devenir-asv.com/"
    assert fiches["RNCP40344"].other_websites == ["https://apform.fr/espace-candidat/"]
    assert fiches["RNCP37488"].website is None  # the export prints "*       *"
    assert fiches["RS6232"].website.startswith("Certificat de compétences Repérage Amiante Navire")
    assert fiches["RS6232"].objectives.count("\n") == 1  # two paragraphs


def test_zip_members_are_streamed(tmp_path):
    archive = tmp_path / "export-fiches-xml.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(RNCP_XML, "export_fiches_RNCP_fixture.xml")
        zf.write(RS_XML, "sub/export_fiches_RS_fixture.xml")
        zf.writestr("SOURCE.md", "not xml")
    loaded = read_fc_xml(archive, data_dir=tmp_path)
    assert loaded.problems == []
    assert len(loaded.fiches) == 20
    assert [(s.key, s.path) for s in loaded.sources] == [
        ("fc-xml-rncp", "export-fiches-xml.zip!/export_fiches_RNCP_fixture.xml"),
        ("fc-xml-rs", "export-fiches-xml.zip!/sub/export_fiches_RS_fixture.xml"),
    ]


def test_iter_streams_one_fiche_at_a_time(tmp_path):
    path = write(tmp_path, RS_TEXT[: RS_TEXT.index("<INTITULE>", RS_TEXT.index("<NUMERO_FICHE>RS7423"))])
    problems: list[Problem] = []
    stream = iter_fc_xml(path, problems=problems)
    assert next(stream).number == "RS6232"
    assert problems == []  # the truncated end is not read yet
    assert [fiche.number for fiche in stream] == RS_NUMBERS[1:7]
    assert [(p.line, p.fiche) for p in problems] == [(3626, "RS7423")]


def test_small_chunks_give_the_same_fiches_and_lines(tmp_path, monkeypatch, rs):
    broken = write(tmp_path, RS_TEXT.replace("<NUMERO_FICHE>RS5568<", "<NUMERO_FICHE>R5568<"))
    monkeypatch.setattr(fc_xml_chunks, "CHUNK", 997)
    small = read_fc_xml(RS_XML, data_dir=DATA)
    assert small.fiches == rs.fiches
    assert [(p.line, p.fiche) for p in read_fc_xml(broken).problems] == [(3275, "R5568")]


# --- broken copies: each defect is one Problem (file, line, fiche), the other fiches still load ----


def test_truncated_file(tmp_path):
    path = write(tmp_path, RS_TEXT[: RS_TEXT.index("<CAPACITES_ATTESTEES>", RS_TEXT.index("RS7423"))])
    loaded = read_fc_xml(path)
    assert numbers(loaded) == RS_NUMBERS[:7]
    assert loaded.problems == [
        Problem(
            str(path),
            "the file ends inside this fiche (truncated file); fiche skipped",
            line=3626,
            fiche="RS7423",
            severity="error",
        )
    ]


def test_bytes_that_are_not_utf8_are_read_as_windows_1252(tmp_path):
    line = "    <INTITULE>Enseigner l’anglais (CELTA) – édition</INTITULE>"
    text = RS_TEXT.replace("    <INTITULE>Enseigner l’anglais (CELTA)</INTITULE>", "\x00")
    before, after = text.split("\x00")
    path = write(tmp_path, before.encode("utf-8") + line.encode("cp1252") + after.encode("utf-8"))
    loaded = read_fc_xml(path)
    assert numbers(loaded) == RS_NUMBERS
    fiche = loaded.fiches[2]
    assert fiche.title == "Enseigner l’anglais (CELTA) – édition"
    assert fiche.formacodes[0].label == "Didactique langue"  # the rest of the fiche, UTF-8, unchanged
    assert loaded.problems == [
        Problem(str(path), "bytes that are not UTF-8 (first: 0x92); this fiche read as Windows-1252", 3084, "RS6547")
    ]


def test_unknown_elements_are_reported_once_and_ignored(tmp_path):
    text = RS_TEXT.replace(
        "    <NUMERO_FICHE>RS5000</NUMERO_FICHE>\n",
        "    <NUMERO_FICHE>RS5000</NUMERO_FICHE>\n    <COULEUR>bleu</COULEUR>\n",
    ).replace(
        "    <NUMERO_FICHE>RS5568</NUMERO_FICHE>\n",
        "    <NUMERO_FICHE>RS5568</NUMERO_FICHE>\n    <COULEUR>vert</COULEUR>\n",
    )
    # And one inside a partner of RS5719 (line 128, after its NOM_PARTENAIRE on line 127).
    first_partner = text.index("<NOM_PARTENAIRE>", text.index("RS5719"))
    end_of_line = text.index("\n", first_partner) + 1
    text = text[:end_of_line] + "        <TELEPHONE>0102030405</TELEPHONE>\n" + text[end_of_line:]
    loaded = read_fc_xml(write(tmp_path, text))
    assert numbers(loaded) == RS_NUMBERS
    assert len(loaded.fiches[1].partners) == 377  # the partner section was still read
    assert [(p.message, p.line, p.fiche, p.severity) for p in loaded.problems] == [
        ("unknown element <PARTENAIRE/TELEPHONE> ignored", 128, "RS5719", "warning"),
        ("unknown element <FICHE/COULEUR> ignored (2 times in the file)", 3195, "RS5000", "warning"),
    ]


def test_invalid_number_skips_the_fiche(tmp_path):
    loaded = read_fc_xml(write(tmp_path, RS_TEXT.replace("<NUMERO_FICHE>RS5719<", "<NUMERO_FICHE>XYZ5719<")))
    assert numbers(loaded) == [n for n in RS_NUMBERS if n != "RS5719"]
    [problem] = loaded.problems
    assert (problem.message, problem.line, problem.fiche, problem.severity) == (
        "invalid fiche number 'XYZ5719'; fiche skipped",
        95,
        "XYZ5719",
        "error",
    )


def test_duplicate_fiche_keeps_the_first(tmp_path):
    start, end = RS_TEXT.index("  <FICHE>"), RS_TEXT.index("</FICHE>") + len("</FICHE>")
    copy = RS_TEXT[start:end].replace("<INTITULE>Repérage", "<INTITULE>COPIE Repérage")
    text = RS_TEXT.replace("</FICHES>", copy + "\n</FICHES>")
    loaded = read_fc_xml(write(tmp_path, text))
    assert numbers(loaded) == RS_NUMBERS
    assert loaded.fiches[0].title.startswith("Repérage de l’amiante")
    [problem] = loaded.problems
    assert (problem.message, problem.line, problem.fiche) == (
        "fiche RS6232 again (first at line 4); this copy skipped",
        3742,
        "RS6232",
    )


def test_malformed_values_are_left_empty(tmp_path):
    # RS6232's registration length is the first "3" of the file (line 72).
    text = RS_TEXT.replace("<DATE_DECISION>25/01/2023<", "<DATE_DECISION>31/02/2023<").replace(
        "<DUREE_ENREGISTREMENT>3<", "<DUREE_ENREGISTREMENT>trois<", 1
    )
    loaded = read_fc_xml(write(tmp_path, text))
    assert numbers(loaded) == RS_NUMBERS
    fiche = loaded.fiches[0]
    assert (fiche.decision_date, fiche.registration_years) == (None, None)
    assert fiche.end_date == dt.date(2026, 1, 25)  # the other dates are read
    assert [(p.message, p.line, p.fiche) for p in loaded.problems] == [
        ("DATE_DECISION '31/02/2023' is not a date (DD/MM/YYYY); left empty", 71, "RS6232"),
        ("DUREE_ENREGISTREMENT 'trois' is not a whole number; left empty", 72, "RS6232"),
    ]


def test_fiche_that_is_not_well_formed(tmp_path):
    text = RS_TEXT.replace("<INTITULE>Exploiter la blockchain", "<INTITULE>Exploiter <la> blockchain", 1)
    loaded = read_fc_xml(write(tmp_path, text))
    assert numbers(loaded) == [n for n in RS_NUMBERS if n != "RS5000"]
    [problem] = loaded.problems
    assert (problem.line, problem.fiche, problem.severity) == (3199, "RS5000", "error")
    assert problem.message == "not well-formed XML (mismatched tag); fiche skipped"


def test_fiche_without_its_end_tag(tmp_path):
    start = RS_TEXT.index("RS5000")
    end = RS_TEXT.index("</FICHE>", start)
    loaded = read_fc_xml(write(tmp_path, RS_TEXT[:end] + RS_TEXT[end + len("</FICHE>") :]))
    assert numbers(loaded) == [n for n in RS_NUMBERS if n != "RS5000"]
    assert [(p.message, p.line, p.fiche) for p in loaded.problems] == [
        ("no </FICHE> before the next <FICHE>; fiche skipped", 3191, "RS5000")
    ]


def test_declared_windows_1252_file(tmp_path, rs):
    text = RS_TEXT.replace('encoding="UTF-8"', 'encoding="windows-1252"')
    loaded = read_fc_xml(write(tmp_path, text.encode("cp1252", errors="xmlcharrefreplace")))
    assert loaded.problems == []
    assert [f.title for f in loaded.fiches] == [f.title for f in rs.fiches]


def test_not_an_export(tmp_path):
    loaded = read_fc_xml(write(tmp_path, "<?xml version='1.0'?>\n<RIEN/>\n", "export.xml"))
    assert loaded.fiches == []
    assert [(p.message, p.severity) for p in loaded.problems] == [
        ("no <FICHES> root element before the first fiche", "warning"),
        ("no <VERSION_FLUX>: read as flux 4.1", "warning"),
        ("no <FICHE> in the file", "error"),
    ]
    with pytest.raises(FileNotFoundError):
        read_fc_xml(tmp_path / "absent.xml")


# --- quads --------------------------------------------------------------------------------------


def node(number: str) -> URIRef:
    return fiche_iri(number)


def test_quads_of_a_correspondence(triples):
    g = graph_iri("fc-xml-rncp")
    corr = URIRef(ID + "correspondence/RNCP36490/RNCP35419")
    association = URIRef(ID + "correspondence/RNCP36490/RNCP35419/BC02+BC03/BC04")
    expected = {
        (corr, RDF.type, XKOS.Correspondence, g),
        (corr, XKOS.compares, node("RNCP36490"), g),
        (corr, XKOS.compares, node("RNCP35419"), g),
        (corr, XKOS.madeOf, association, g),
        (corr, CG.assertedBy, node("RNCP36490"), g),
        (association, RDF.type, XKOS.ConceptAssociation, g),
        (association, XKOS.sourceConcept, URIRef(ID + "rncp/36490/bloc/RNCP36490BC02"), g),
        (association, XKOS.sourceConcept, URIRef(ID + "rncp/36490/bloc/RNCP36490BC03"), g),
        (association, XKOS.targetConcept, URIRef(ID + "rncp/35419/bloc/RNCP35419BC04"), g),
    }
    assert expected <= triples
    assert len({t for t in triples if t[0] == association}) == 4
    # A whole fiche for a whole fiche; a block for a whole RS fiche.
    whole = URIRef(ID + "correspondence/RNCP37674/RNCP31114/fiche/fiche")
    assert (whole, XKOS.sourceConcept, node("RNCP37674"), g) in triples
    assert (whole, XKOS.targetConcept, node("RNCP31114"), g) in triples
    to_rs = URIRef(ID + "correspondence/RNCP36490/RS6626/BC04/fiche")
    assert (to_rs, XKOS.targetConcept, node("RS6626"), g) in triples
    assert (node("RS6626"), RDF.type, CG.RSCertification, g) in triples


def test_quads_of_identity_and_lineage(triples):
    g, me = graph_iri("fc-xml-rncp"), node("RNCP34762")
    assert {
        (me, CG.eqfLevel, eqf_iri(7), g),
        (me, CG.fcId, Literal("20172"), g),
        (me, CG.abbreviationCode, Literal("DipViGrM"), g),
        (me, CG.publicationDate, Literal("2020-07-23", datatype=XSD.date), g),
        (me, CG.nsf, URIRef(ID + "nsf/315p"), g),
        (me, CG.certifier, URIRef(ID + "org/siret/81738914100018"), g),
        (me, DCTERMS.isReplacedBy, node("RNCP39568"), g),
        (node("RNCP24998"), DCTERMS.isReplacedBy, me, g),
    } <= triples
    rs = graph_iri("fc-xml-rs")
    assert (node("RS5000"), DCTERMS.isReplacedBy, node("RS6604"), rs) in triples
    assert (node("RS6232"), CG.masteryLevel, Literal("sans objet", lang="fr"), rs) in triples
    assert (node("RS6232"), CG.awardDeadline, Literal("2026-07-25", datatype=XSD.date), rs) in triples
    assert (node("RS6232"), CG.registrationYears, Literal("3", datatype=XSD.integer), rs) in triples
    assert (node("RNCP36612"), CG.cohortYear, Literal("2022", datatype=XSD.gYear), g) in triples


def test_quads_of_states_juries_statistics_and_acts(triples):
    rs, g = graph_iri("fc-xml-rs"), graph_iri("fc-xml-rncp")
    role = URIRef(ID + "rs/6232/certifier/84210466300039")
    assert {
        (node("RS6232"), CG.certifierRole, role, rs),
        (role, RDF.type, CG.CertifierRole, rs),
        (role, CG.organisation, URIRef(ID + "org/siret/84210466300039"), rs),
        (role, CG.active, Literal("false", datatype=XSD.boolean), rs),
        (role, DCTERMS.modified, Literal("2025-11-27", datatype=XSD.date), rs),
    } <= triples
    habilitation = URIRef(ID + "rncp/40344/partner/19530081900016")
    assert (habilitation, CG.activeSince, Literal("2025-03-28", datatype=XSD.date), g) in triples
    assert (habilitation, CG.active, Literal("true", datatype=XSD.boolean), g) in triples
    route = URIRef(ID + "rs/6232/voie/apres-un-parcours-de-formation-continue")
    assert (route, SKOS.notation, Literal("FC"), rs) in triples
    assert (route, CG.isOpen, Literal("true", datatype=XSD.boolean), rs) in triples
    stat = URIRef(ID + "rncp/34762/statistique/2018")
    assert (stat, CG.certifiedCount, Literal("876", datatype=XSD.integer), g) in triples
    acts = {o for s, p, o, _ in triples if s == node("RNCP34762") and p == CG.generalAct}
    [act] = acts
    assert (act, CG.joDate, Literal("1985-11-09", datatype=XSD.date), g) in triples
    assert (act, RDF.type, CG.LegalAct, g) in triples
    block = URIRef(ID + "rncp/34762/bloc/RNCP34762BC01")
    assert sum(1 for s, p, _, _ in triples if s == block and p == CG.competency) == 7
    assert any(s == block and p == CG.assessmentText for s, p, _, _ in triples)


def test_every_cg_term_used_is_declared(triples, rncp):
    used = {p for _, p, _, _ in triples} | {o for _, p, o, _ in triples if p == RDF.type}
    used |= {p for quad in source_quads(rncp.sources[0]) for p in quad[1:2]}
    cg_terms = {str(term)[len(str(CG)) :] for term in used if str(term).startswith(str(CG))}
    assert cg_terms - set(TERMS) == set()
    assert {"CertifierRole", "certifierRole", "activeSince", "cohortYear", "generalAct"} <= cg_terms


def test_labels_of_a_correspondence_are_french(triples):
    corr = URIRef(ID + "correspondence/RNCP37873/RNCP31678")
    label = Literal("Correspondance RNCP37873 → RNCP31678", lang="fr")
    assert (corr, RDFS.label, label, graph_iri("fc-xml-rncp")) in triples


def test_worker_processes_give_the_same_fiches_and_problems(tmp_path, rs):
    text = RS_TEXT.replace("<NUMERO_FICHE>RS5719<", "<NUMERO_FICHE>XYZ5719<").replace(
        "<DATE_DECISION>25/01/2023<", "<DATE_DECISION>31/02/2023<"
    )
    path = write(tmp_path, text[: text.index("<INTITULE>", text.index("<NUMERO_FICHE>RS7423"))])
    alone, workers = read_fc_xml(path), read_fc_xml(path, workers=2)
    assert workers.fiches == alone.fiches
    assert workers.problems == alone.problems
    assert [(p.line, p.fiche) for p in workers.problems] == [(71, "RS6232"), (95, "XYZ5719"), (3626, "RS7423")]
    assert read_fc_xml(RS_XML, data_dir=DATA, workers=1).fiches == rs.fiches

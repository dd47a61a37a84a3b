"""Write a synthetic national register (RNCP + RS) in the real export formats, drawn from the real tables.

:func:`write_synthetic_register` writes ``fiches`` fiches either as the XML export v4.1
(``export-fiches-rncp-v4-1-<date>.xml`` and ``export-fiches-rs-v4-1-<date>.xml``) or as the ten
tables of the CSV export (``export_fiches_CSV_<Table>_<date>.csv``), plus ``defects.json``: the
defects it injected on purpose, one per chosen fiche, so that a reader or validator can be scored.

How it stays close to the real register. Every unit is a *real* one, renumbered:

- a lineage component (chain, merge n→1, split 1→n) of the real Ancienne_Nouvelle table of
  2026-02-01 is copied as a whole, node kinds included, so the shape of lineage is the real one;
  the remaining fiches are real fiches outside any lineage, drawn uniformly, so the RNCP/RS
  proportion is the real one;
- each synthetic fiche takes a real fiche's ROME, NSF and Formacode sets, its certifiers (real
  SIRETs and names, hence real certifier reuse) and its CCN row, as a whole ("profile"); 10% of the
  fiches then get one code replaced by a code drawn from that table's real rows, 5% the certifiers
  of another real fiche;
- title, EQF level, registration type and abbreviation come from the profile's row of the 2021
  extract, or from a 2021 fiche with the same first NSF code when the profile is newer; RS titles
  from Certif Info; blocks (labels, count) are the profile's real blocks of 2024-01-17, or those of a
  fiche with the same NSF code for fiches newer than that table;
- competency lists recombine 478 real statements (XML fixture and seed pages, each one read back
  intact by :mod:`certgraph.sources.competencies`), 3 to 12 per block with the fixture's weights;
  assessment methods (129 real items), free texts, juries, partners come from the XML fixture
  (``data/synth/sample.json``, rebuilt by ``tools/extract_synth_sample.py``).

Proportions measured on the real tables of ``data/`` (:func:`measure_register`), 2026-02-01 export:
29,387 fiches named by the six tables, 15.74% RS; 16,056 (54.64%) in a lineage, in 5,846 components
(3,346 of size 2, 1,479 of size 3, largest 39); 10,313 links: 89.52% one-to-one, 5.68% merge links
(n→1), 3.70% split links (1→n), 1.10% both; 284 merge targets, 213 split sources; 13 links cross
the two registers; 10,308 links are stated at both ends, 5 by the predecessor only. Certifiers:
59.4% of the fiches name one, 2.25 each when they do, 3,403 distinct SIRETs, none empty (the CSV
export drops the certifiers without SIRET that the XML lists: SNVEL of RNCP40344). Per fiche naming
any: 2.77 ROME, 1.55 NSF, 2.20 Formacodes. Blocks (2024-01-17): 5.02 per fiche with blocks, on
97.6% of the RNCP fiches numbered 34000–38550 and 31.9% of all RNCP fiches up to 38550. 2021
extract: EQF 7 37.2%, 6 33.6%, 5 13.5%, 4 9.3%, 3 6.3%, 8 0.1%; 69.7% "Enregistrement de droit";
31.8% of the fiches without a successor active. XML fixture: 45% of the RNCP fiches with a
predecessor and blocks publish block correspondences. A 40,000-fiche register (seed 1) has 54.64%
of its fiches in a lineage, 15.61% RS, links 89.43% one-to-one, 5.51% merge, 3.84% split, 1.22%
both.

Formats. XML: the declaration, two-space indentation and element order of the real fixture
(``element_order`` in the sample), ``&``, ``<``, ``>`` escaped, line breaks and tabs written as
spaces as the export does, dates ``DD/MM/YYYY``. CSV: UTF-8 without BOM, ``;``, every non-empty
value double-quoted (``"`` doubled), empty values bare, CRLF as in every 2026 table (the 2024 Blocs
file was LF); SIRETs behind a TAB, NSF labels ``code : label``, ROME labels with doubled apostrophes
except on domain codes: the labels are written as the 2026 tables publish them. Standard,
VoixdAccès and Partenaires, absent from the 2026 copy, take the headers of the 2024-02-22 zip.

Dates are consistent: effect (or decision) ≤ end; a predecessor ends within four months after its
last successor starts, is inactive and ends before ``issued``; active fiches end after it. Fiche
numbers are ``RNCP100000``… and ``RS100000``… in registration order, far above the real ones
(RNCP41901, RS7490 in 2026); dangling references point to ``RNCP90000``… / ``RS90000``…, which are in
neither. To keep a predecessor registered before its successors, a few get a registration longer
than five years (69 of 40,000 fiches, seed 1). The same seed and arguments give byte-identical files: all draws come from
``random.Random`` seeded per run and per fiche, never from set or hash order.

Three steps, one module each: :mod:`.measure` loads and measures the real register, :mod:`.generate`
plans the fiches and draws their content, :mod:`.write` writes them. File, table, column and element
names are those of :mod:`certgraph.sources.fc_schema`, which the readers read.
"""

from ..sources.fc_schema import CSV_TABLES
from .generate import DEFECT_KINDS
from .measure import LineageShape, RegisterStatistics, SynthError, lineage_shape, measure_register
from .write import FORMATS, SynthReport, write_synthetic_register

CSV_HEADERS = CSV_TABLES
"""The ten tables of the CSV export and their published headers, in the order they are written."""

__all__ = [
    "CSV_HEADERS",
    "DEFECT_KINDS",
    "FORMATS",
    "LineageShape",
    "RegisterStatistics",
    "SynthError",
    "SynthReport",
    "lineage_shape",
    "measure_register",
    "write_synthetic_register",
]

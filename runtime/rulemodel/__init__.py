"""The rule model shared by the generator and the validator.

The generator (:mod:`iodkit.codegen`) reads the standard's words into this model and writes it
out as plain data; the validator (:mod:`iodkit.validation`) reads that data back and evaluates
it. So the model imports neither: not the generator (the validator runs without the standard
and without the condition parser) and not the validator's byte reader (the generator has no
use for it).

* :mod:`.values` — tags and references (:class:`~.values.Ref`), the immutable value base;
* :mod:`.datasets` — what predicates are evaluated on: :class:`~.datasets.Context`, lookups
  over any dataset with the :class:`~.datasets.IndexedDataset` layout or a pydicom Dataset;
* :mod:`.predicates` — the predicates read from "Required if …" sentences (presence, values,
  codes, items, modules, Kleene logic, unknown words);
* :mod:`.facts` — predicates that need facts beyond the attribute values (the IOD's rules,
  PS3.16 Annex L, Table 8-1, character sets, the species, tag pointers);
* :mod:`.conditions` — :class:`~.conditions.Condition` (requirement, prohibition,
  permission), the plain-data form of every predicate, walks over predicate trees;
* :mod:`.rows` — the typed rows of ``generated/rules`` and their layout version.
"""

from iodkit.speedups import prefer

__path__ = prefer(__name__, __path__)  # its compiled modules first, where built (iodkit.speedups)

from .conditions import (
    Condition,
    Explanation,
    Predicate,
    Requirement,
    Status,
    evaluate,
    explanation,
    map_refs,
    predicate_from_data,
    refs,
    walk,
)
from .datasets import (
    CODE_VALUE_TAGS,
    CODING_SCHEME_DESIGNATOR,
    PER_FRAME_FG,
    SHARED_FG,
    Context,
    Facts,
    IndexedDataset,
    ModuleOracle,
    Otherwise,
    Verdict,
    lookup,
    modules_from_names,
    normalize_module_name,
)
from .facts import (
    CodeValueForm,
    ContentTreeReferences,
    DesignatorSufficient,
    ExtendedCharacters,
    InAnnexL,
    IodRequires,
    NonHumanPatient,
    PairedBodyPart,
    PerFrameGroupsNeeded,
    PointsInto,
    Transferred,
)
from .predicates import (
    NOT_IN_DATASET,
    UNPARSED,
    Absent,
    Always,
    And,
    CodeIn,
    Compare,
    Count,
    Equals,
    FirstItem,
    HasValue,
    ItemsWhere,
    Module,
    Never,
    Not,
    NotEquals,
    Or,
    PointsTo,
    Present,
    Unknown,
)
from .values import Ref, parse_tag, ref, tag_str

__all__ = [
    "CODE_VALUE_TAGS",
    "CODING_SCHEME_DESIGNATOR",
    "NOT_IN_DATASET",
    "PER_FRAME_FG",
    "SHARED_FG",
    "UNPARSED",
    "Absent",
    "Always",
    "And",
    "CodeIn",
    "CodeValueForm",
    "Compare",
    "Condition",
    "Context",
    "ContentTreeReferences",
    "Count",
    "DesignatorSufficient",
    "Equals",
    "Explanation",
    "ExtendedCharacters",
    "Facts",
    "FirstItem",
    "HasValue",
    "InAnnexL",
    "IndexedDataset",
    "IodRequires",
    "ItemsWhere",
    "Module",
    "ModuleOracle",
    "Never",
    "NonHumanPatient",
    "Not",
    "NotEquals",
    "Or",
    "Otherwise",
    "PairedBodyPart",
    "PerFrameGroupsNeeded",
    "PointsInto",
    "PointsTo",
    "Predicate",
    "Present",
    "Ref",
    "Requirement",
    "Status",
    "Transferred",
    "Unknown",
    "Verdict",
    "evaluate",
    "explanation",
    "lookup",
    "map_refs",
    "modules_from_names",
    "normalize_module_name",
    "parse_tag",
    "predicate_from_data",
    "ref",
    "refs",
    "tag_str",
    "walk",
]

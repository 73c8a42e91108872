"""What a condition the validator cannot execute would need to be decided: the conditions of
``iodkit validate --coverage -v`` grouped by the fact their words name.

A reading aid, not a parser: the groups are found by the words (first group whose pattern
matches the condition's text wins), so a condition lands where its most telling phrase puts
it. Each group says what would decide its conditions — another instance, the history of the
acquisition, the sender's knowledge — none of which one dataset records.
"""

from __future__ import annotations

import re

#: (group, what would decide it, pattern over the lower-cased words); first match wins
NEEDS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (name, needs, re.compile(pattern))
    for name, needs, pattern in (
        (
            "earlier RT control points",
            "the values of earlier control points, as C.36.2.2.5.1.1 defines them",
            r"c\.36\.2\.2\.5\.1\.1|previous(?:ly)? (?:populated )?(?:item|control point)",
        ),
        (
            "the extent of a reference",
            "whether a reference covers all the images, frames or items it could",
            r"appl(?:y|ies) to|all (?:the )?(?:images|frames|rows|columns|segments)|entire|subset",
        ),
        (
            "another instance",
            "the referenced, source or contributing instances",
            r"\breferenced (?:sop )?instance|\breferenced (?:image|plan|rt|structure|segmentation"
            r"|object|series)|contributing|other (?:dicom )?sop instances|\bsource (?:image|"
            r"instance)|in the referenced|instances? (?:is|are) referenced|from other|another "
            r"(?:sop )?instance|\bcreated from\b",
        ),
        (
            "an encapsulated or external document",
            "the content of a document the dataset carries or names",
            r"encapsulated|\bhl7\b|\bcda\b|mime|\buri\b",
        ),
        (
            "the transfer or service",
            "how the instance was requested, retrieved or transferred",
            r"request|retriev|transfer|\bstow\b|in response|storage media|file-set|query",
        ),
        (
            "law or policy",
            "the rules that apply where the data was made",
            r"\blaw\b|regulat|polic|institution|jurisdiction|\blocal\b",
        ),
        (
            "the equipment",
            "what the system or device is or can do",
            r"\bsystem\b|equipment|scanner|capable|supports?\b|device|machine|software",
        ),
        (
            "the acquisition or processing",
            "what was done to make the data (contrast given, calibration, gating, compression)",
            r"\bwas\b|\bwere\b|has been|have been|performed|acquired|applied|used\b|calibrat"
            r"|scheduled|reconstruct|derived|processed|administered|contrast|injected|gated"
            r"|triggered|compression|modified|exist|occurred|taken|\bdone\b|measured",
        ),
        (
            "the writer's knowledge or intent",
            "what the sender knows, needs or means",
            r"known|needed|necessary|desired|intend|to be\b|appropriate|available|significant"
            r"|meaningful|relevant|applicable|wish|choose|sufficient|if any|specif",
        ),
        (
            "the meaning of a value",
            "what a value or code stands for beyond the dataset's words",
            r"describe|semantics|represent|units|filter|type of|framing|coated|registered"
            r"|value is not|interaction|the value of",
        ),
        (
            "the patient or scene",
            "facts of the patient, specimen or physical setting",
            r"patient|specimen|anatomy|body|organ|lesion|tissue|gravity|physical|object",
        ),
    )
)
OTHER = ("other", "a fact of its own (read the words)")


def need_of(words: str) -> tuple[str, str]:
    """(group, what would decide it) for a condition's words."""
    low = " ".join(words.lower().split())
    for name, needs, pattern in NEEDS:
        if pattern.search(low):
            return name, needs
    return OTHER

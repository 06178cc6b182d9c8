"""Whether one memory says nothing that another does not: the check consolidation makes before it
merges two similar memories.

Embeddings cannot tell "the rate limit is 60 per minute" from "... 600 per minute", or "deploys are
frozen Jul 1-5" from "Dec 20-Jan 5": their cosine similarity is above 0.95. So a merge also needs the
merged memory's *information* to be contained in the survivor's: every number, date, version,
identifier, path, URL, name and content word of the merged text appears in the survivor, and both say
the same about negation, qualifiers (should, former, used to, only, ...) and opposites (on/off,
enable/disable, always/never, ...). The survivor may
say more than the merged memory, never less. A restatement in
the same words (case, punctuation, word order, articles, plural, filler) passes; a substitution of
any fact does not, and neither does a synonym (kept apart rather than risk losing a fact).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["OPPOSITES", "Information", "contained_in", "information", "light_stem"]

# URLs, e-mail addresses, paths (with a slash or a file extension), versions, numbers (with their
# separators and units stuck to them), then words; matched in this order so a URL is one token.
_TOKEN = re.compile(
    r"(?P<url>\b[a-z][a-z0-9+.-]*://[^\s<>\"'`]+)"
    r"|(?P<email>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<path>(?:~|\.{1,2})?(?:/[\w.@%+-]+)+/?|\b[\w.-]+(?:/[\w.@%+-]+)+/?|\b[\w.-]+/(?!\w)|\b[\w-]+\.(?:[a-z]{1,5}\d?)\b)"
    r"|(?P<version>\bv?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?\b)"
    r"|(?P<number>[$€£]?\d[\d,_]*(?:\.\d+)?(?:[%a-z]{0,4})\b)"
    r"|(?P<word>[\w'’-]+)",
    re.IGNORECASE,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NEGATIONS = _words(
    "not no never none nothing nobody nowhere neither nor without cannot cant dont doesnt didnt isnt "
    "arent wasnt werent wont wouldnt shouldnt mustnt couldnt hasnt havent hadnt avoid stop forbid "
    "forbidden disallow disallowed unsupported deprecated"
)

# Words whose opposite is a different fact; each group's words are compared as a set.
_OPPOSITES: tuple[frozenset[str], ...] = tuple(
    _words(group)
    for group in (
        "on off",
        "true false",
        "yes no",
        "enable enabled enables disable disabled disables",
        "allow allowed allows deny denied denies block blocked blocks reject rejected",
        "always never rarely",
        "before after during",
        "min minimum max maximum",
        "increase increased decrease decreased raise raised lower lowered",
        "add added remove removed",
        "include included exclude excluded",
        "start started stop stopped",
        "open opened close closed",
        "success succeeded succeeds failure failed fails pass passed",
        "first last",
        "above below over under",
        "more less fewer",
        "required optional",
        "public private",
        "sync async synchronous asynchronous",
        "read write",
        "up down",
    )
)
_OPPOSITE_WORDS = frozenset().union(*_OPPOSITES)
#: The groups of opposite words, for other fact checks.
OPPOSITES = _OPPOSITES

# Words that change what the rest of a sentence claims (time, certainty, scope): both texts must use
# the same ones ("we used to deploy on Fridays" is not "we deploy on Fridays").
_QUALIFIERS = _words(
    "should must may might could would will can maybe perhaps probably possibly likely unlikely "
    "planned plan plans proposed propose consider considering former formerly previous previously "
    "old legacy deprecated obsolete used anymore longer until temporarily temporary except only "
    "sometimes usually soon later eventually currently now still"
)

# Words that carry no fact of their own: dropping or adding them does not change what is said.
_FILLER = _words(
    "a an the this that these those it its is are was were be been being am to of for with by at "
    "from as and or so then than such also just really very please note remember we our us you your "
    "i me my they their them he she his her there here which who whom whose what when where how why "
    "will would should shall can could may might must do does did done has have had get gets got "
    "into onto via about all any each every some one s"
)

_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
    "thousand": "1000", "million": "1000000", "once": "1x", "twice": "2x", "half": "0.5",
    "single": "1", "double": "2x", "triple": "3x",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Information:
    """What a text states, for the containment check: its fact tokens (normalised), whether it
    negates, and which opposites it uses."""

    tokens: frozenset[str]
    negated: bool
    opposites: frozenset[str]
    qualifiers: frozenset[str]
    #: The tokens in the order they first appear ("Alice reports to Bob" is not "Bob reports to Alice").
    order: tuple[str, ...]


def _stem(word: str) -> str:
    """A light suffix stripper: enough to match a plural or a tense, never to join two words."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("es", ""), ("s", ""), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


#: The suffix stripper the fact tokens use, for other fact checks.
light_stem = _stem


def _number(text: str) -> str:
    value = text.lower().lstrip("$€£v").replace(",", "").replace("_", "")
    return text[0] + value if text[0] in "$€£" else value


@lru_cache(maxsize=4096)
def information(text: str) -> Information:
    """The facts `text` states (cached: consolidation asks for the same texts many times)."""
    tokens: dict[str, None] = {}  # insertion-ordered
    negated = False
    opposites: set[str] = set()
    qualifiers: set[str] = set()
    for match in _TOKEN.finditer(text):
        kind, raw = match.lastgroup, match.group()
        if kind in ("url", "email", "path"):
            tokens[f"{kind}:{raw.rstrip('.,;:!?)').lower()}"] = None
        elif kind in ("version", "number"):
            tokens[f"n:{_number(raw)}"] = None
        else:
            word = raw.lower().replace("’", "'").strip("'-")
            bare = word.replace("'", "")
            if bare in _NEGATIONS or word.endswith("n't"):
                negated = True
                continue
            if bare in _QUALIFIERS:
                qualifiers.add(bare)
                continue
            if bare in _OPPOSITE_WORDS:
                opposites.add(bare)
                continue
            if bare in _NUMBER_WORDS:
                tokens[f"n:{_NUMBER_WORDS[bare]}"] = None
                continue
            if not bare or bare in _FILLER:
                continue
            if re.search(r"\w[-_]\w", bare):
                # A name written as an identifier ("acme-uploads-prod") is one fact, beside its parts.
                tokens[f"id:{bare}"] = None
            for part in re.split(r"[-'_]", bare):
                if part and part not in _FILLER:
                    tokens[_stem(part)] = None
    return Information(frozenset(tokens), negated, frozenset(opposites), frozenset(qualifiers), tuple(tokens))


def _in_order(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """Whether `part` appears in `whole` in the same order (a subsequence)."""
    rest = iter(whole)
    return all(token in rest for token in part)


def contained_in(merged: str, survivor: str) -> bool:
    """Whether merging `merged` into `survivor` loses nothing: every fact token of `merged` is in
    `survivor` in the same order, both negate or neither does, both use the same qualifiers (should,
    former, used to, only, ...), and where `merged` uses a word of a group of opposites
    the survivor uses the same ones."""
    a, b = information(merged), information(survivor)
    if a.negated != b.negated or a.qualifiers != b.qualifiers:
        return False
    if not a.tokens <= b.tokens or not _in_order(a.order, b.order):
        return False
    return all(
        not (a.opposites & group) or a.opposites & group == b.opposites & group for group in _OPPOSITES
    )

"""Whether a newer memory changes a fact an older one states: the same subject, another value.

"The staging database listens on port 5433" and, later, "The staging database moved to port 6543"
are about one thing (the staging database's port) with two values; an agent reading both must know
which one holds. "The production database listens on port 5432" looks as alike but is about another
thing. Without a language model the two are told apart by where the texts differ:

- a text's **values** are its numbers, versions, dates, days and months (with their units), paths,
  URLs, addresses and names written as identifiers (`docs/`, `acme-uploads-prod`); whether it
  negates, and which words of a pair of opposites it uses (on/off, enable/disable, ...);
- its **words** are the rest of its content words (stems; a word matches another it starts, so
  "env" is "environment"), without the words that announce a change and the verbs that only say
  something is in place ("use", "run", "lives in", "is set to");
- a number right after a word that designates one of many ("ticket 142", "step 3", "#87") names
  which thing the text is about: it belongs to the head, not to the values;
- its **head** is what it talks about: its words before the first "is/are/was/has/..." or, without
  one, before its first value ("the staging database listens on port").

Two texts are about different things when each head has a word the other text lacks ("staging" /
"production", "read" / "write", "free" / "enterprise"), or one head qualifies the other's with a
word before it ("audit logs" / "logs"). About the same thing (they share most of their words), the
newer one changes the fact when a value of the older one is gone from it, when one negates or uses
the opposite word where the rest is mostly the same statement, or when it announces a change
("moved", "now", "switched to", "instead of"), brings a word or a value the older one does not have
and leaves one of the older one's behind. A newer text that only adds to the older one (every fact
of the older one is in it) changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from mcp_memory.services.memories.fact_containment import OPPOSITES, contained_in, information, light_stem

__all__ = ["Facts", "changed_pairs", "changes_fact", "facts", "newest_of"]


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _stems(words: str) -> frozenset[str]:
    return frozenset(light_stem(w) for w in words.split())


_VALUE_PREFIXES = ("n:", "url:", "path:", "email:", "id:", "s:", "b:")

_CALENDAR_WORDS = (
    "monday tuesday wednesday thursday friday saturday sunday weekday weekend daily weekly monthly "
    "nightly hourly yearly quarterly january february march april june july august september "
    "october november december morning afternoon evening night midnight noon am pm utc"
)
_CALENDAR = _stems(_CALENDAR_WORDS + " jan feb mar apr jun jul aug sep sept oct nov dec")

# Units belong to the value they follow ("30 minutes" and "2 hours" are two values of one thing).
_UNITS = _stems(
    "ms millisecond second sec minute min hour hr day week month year kb mb gb tb kib mib gib "
    "percent px em rem"
)

# Names written as identifiers: a folder ("docs/"), a hyphenated or underscored name
# ("acme-uploads-prod", "new_checkout"). Each is one value, not several words.
_IDENTIFIER = re.compile(r"(?<![\w/.~-])(?:[\w.-]+/(?![\w])|[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)+)")
# Acronyms ("US", "EU", "API"): words even where the lower-case word is filler ("us").
_ACRONYM = re.compile(r"\b[A-Z]{2,5}\b")

# Words that announce a change rather than say what changed.
_CHANGE_WORDS = (
    "moved move moves now changed change changes switched switch switches instead replaced replace "
    "replaces updated update updates new newer upgraded upgrade downgraded downgrade migrated "
    "migrate became become becomes renamed rename going forward today currently actually longer "
    "anymore since starting reduced reduce increased increase raised lowered extended shortened"
)
_CHANGE = _stems(_CHANGE_WORDS)
_ANNOUNCES = re.compile(
    r"\b(?:" + "|".join(_CHANGE_WORDS.split()) + r"|no longer|used to|from \S+ to)\b", re.IGNORECASE
)

# Verbs that say only that something is in place ("we use Postgres 14", "migrations live in db/"):
# a later "the database was upgraded to Postgres 16" talks about the same thing without them.
_WEAK_WORDS = (
    "use uses used using run runs running ran have has had live lives living located reside resides "
    "sit sits set configured stored store stores kept keep keeps go goes handled"
)
_WEAK = _stems(_WEAK_WORDS)

# Words that say which of several alike things a text is about (staging or production, iOS or
# Android): two texts naming different ones are about different things wherever the words stand.
_SCOPE_WORDS = (
    "production prod staging stage development dev local test testing qa sandbox preview canary "
    "internal external mobile web desktop ios android frontend backend client server admin customer "
    "free pro enterprise primary replica leader follower"
)
_SCOPES = _stems(_SCOPE_WORDS)

# A number with a unit of time or size, in one unit: "60 seconds" is "one minute".
_SECONDS = {
    "ms": 0.001, "millisecond": 0.001, "second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600,
    "hr": 3600, "day": 86400, "week": 604800, "month": 2592000, "year": 31536000,
}  # fmt: skip
_BYTES = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 1024, "mib": 1024**2, "gib": 1024**3}

# Where a text's head ends: its first verb of being or having, weak verb or change word, else its
# first value.
_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|will|must|should|can|may|does|do|did|gets?|"
    + "|".join(sorted({*_WEAK_WORDS.split(), *_CHANGE_WORDS.split()}))
    + r")\b",
    re.IGNORECASE,
)
_RAW_WORD = re.compile(r"[\w'’]+")
_FIRST_VALUE = re.compile(
    r"\d|[\w.-]+/|\b[A-Za-z][A-Za-z0-9]*[-_][A-Za-z0-9]|\b(?:" + "|".join(_CALENDAR_WORDS.split()) + r")s?\b",
    re.IGNORECASE,
)


# A number right after a word that designates one of many ("ticket 142", "step 3", "sprint 12",
# "#87") names which thing a text is about, not a value of it: it is joined to that word as one
# name ("ticket_142"), part of the head.
_DESIGNATED = re.compile(
    r"\b(number|no|ticket|issue|pr|step|item|case|task|bug|story|epic|chapter|section|page|sprint|"
    r"phase|milestone|shard|room|floor|part|subject|question|rule)\s*#?\s*(\d+)\b"
    r"|(?<![\w&])#(\d+)\b",
    re.IGNORECASE,
)


def _designate(text: str) -> str:
    return _DESIGNATED.sub(lambda m: f"{m[1]} {m[1]}_{m[2]}" if m[1] else f"no_{m[3]}", text)


def _head_end(text: str) -> int:
    """Where the head ends: the first verb, else the first value that is neither a designated name
    nor a name the text starts with."""
    verb = _VERB.search(text)
    if verb:
        return verb.start()
    start = 0
    while m := _FIRST_VALUE.search(text, start):
        token = re.match(r"[\w-]+", text[m.start() :])
        leading = token is not None and not text[: m.start()].strip() and not token.group()[0].isdigit()
        if token and (leading or _DESIGNATED_NAME.fullmatch(token.group())):
            # A name the text starts with ("DATABASE_URL points to ...") is what it is about.
            start = m.start() + len(token.group())
            continue
        return m.start()
    return len(text)


_DESIGNATED_NAME = re.compile(
    r"(?:" + _DESIGNATED.pattern.split(r")\s*#?")[0].removeprefix(r"\b(") + r")_\d+", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Facts:
    """What `changes_fact` compares of one text."""

    values: frozenset[str]
    words: tuple[str, ...]
    head: tuple[str, ...]
    #: The head's words as written, fillers included (which word stands right before which).
    head_raw: tuple[str, ...]
    negated: bool
    opposites: frozenset[str]
    announces_change: bool
    #: It names a value it retires ("from X to Y", "instead of X", "X is gone").
    retires: bool = False
    #: The words as a set, and every start of three letters or more of each (`_held` looks up both).
    word_set: frozenset[str] = frozenset()
    starts: frozenset[str] = frozenset()


# Short forms an engineer writes for a longer word ("DB", "TS", "k8s"): each stands for the word's
# stem, so "Staging DB port" is about the staging database's port. (Longer short forms, such as
# "env" or "prod", already match the word they start.)
_SHORT_FORMS = {
    short: light_stem(long)
    for short, long in (
        ("db", "database"), ("dbs", "database"), ("ts", "typescript"), ("js", "javascript"),
        ("k8s", "kubernetes"), ("es", "elasticsearch"), ("pg", "postgres"), ("tf", "terraform"),
        ("req", "request"), ("reqs", "request"), ("msg", "message"), ("cfg", "config"),
        ("gh", "github"), ("py", "python"), ("ml", "machine"),
    )
}  # fmt: skip

# A newer text that names the value it retires ("from GitHub Actions to Buildkite", "instead of
# Sentry", "React is gone", "no longer npm") holds the older one's words and still changes it.
_RETIRES = re.compile(
    r"\b(?:from\s+[^,.;]+?\s+to|instead\s+of|replaced|replaces|no\s+longer|is\s+gone|was\s+dropped|"
    r"dropped|removed|rewritten|retired|deprecated|rather\s+than)\b",
    re.IGNORECASE,
)


def _parts(text: str) -> tuple[set[str], list[str], set[str]]:
    """The values, the words (in order) and the opposites of `text`."""
    values: set[str] = {f"id:{m.group().lower().rstrip('/')}" for m in _IDENTIFIER.finditer(text)}
    info = information(_IDENTIFIER.sub(" ", text))
    words: list[str] = []
    for stem in info.order:
        token = _SHORT_FORMS.get(stem, stem)
        if token.startswith(_VALUE_PREFIXES) or token in _CALENDAR or token in _UNITS:
            values.add(token)
        elif token not in _CHANGE and token not in _WEAK:
            words.append(token)
    for acronym in _ACRONYM.findall(text):
        word = _SHORT_FORMS.get(acronym.lower(), acronym.lower())
        if word not in words and light_stem(acronym.lower()) not in _UNITS:
            words.insert(0, word)
    return _one_unit(values), words, set(info.opposites)


def _one_unit(values: set[str]) -> set[str]:
    """One number with one unit of time or size becomes one value in seconds or bytes."""
    numbers = [v for v in values if v.startswith("n:")]
    units = [v for v in values if v in _SECONDS or v in _BYTES]
    if len(numbers) != 1 or len(units) != 1:
        return values
    try:
        amount = float(numbers[0][2:])
    except ValueError:
        return values
    unit = units[0]
    value = f"s:{amount * _SECONDS[unit]:g}" if unit in _SECONDS else f"b:{amount * _BYTES[unit]:g}"
    return (values - {numbers[0], unit}) | {value}


@lru_cache(maxsize=4096)
def facts(text: str) -> Facts:
    """The values, words and head of `text` (the module's note says which is which)."""
    text = _designate(text)
    values, words, opposites = _parts(text)
    end = _head_end(text)
    head_values, head_words, head_opposites = _parts(text[:end])
    head = (*head_words, *sorted(head_opposites), *sorted(v for v in head_values if v.startswith("id:")))
    info = information(text)
    return Facts(
        frozenset(values),
        tuple(words),
        head,
        tuple(light_stem(w.lower()) for w in _RAW_WORD.findall(text[:end])),
        info.negated,
        frozenset(opposites),
        bool(_ANNOUNCES.search(text)),
        bool(_RETIRES.search(text)),
        frozenset(words),
        frozenset(w[:n] for w in words for n in range(3, len(w) + 1)),
    )


def _matches(word: str, other: str) -> bool:
    """The same word, or one starts the other ("env" / "environment", "bundl" / "bundle")."""
    if word == other:
        return True
    short, long = sorted((word, other), key=len)
    return len(short) >= 3 and long.startswith(short) and not short.startswith(_VALUE_PREFIXES)


def _in(word: str, words: tuple[str, ...] | set[str]) -> bool:
    return any(_matches(word, w) for w in words)


def _held(word: str, f: Facts) -> bool:
    """`_in(word, f.words)` by set lookups: the same word, a word it starts, or one that starts it."""
    if word in f.word_set or (len(word) >= 3 and word in f.starts):
        return True
    return any(word[:n] in f.word_set for n in range(3, len(word)))


def _shared(a: Facts, b: Facts) -> int:
    """How many of `a`'s words `b` holds."""
    return sum(1 for w in a.words if _held(w, b))


def _everything(f: Facts) -> set[str]:
    return {*f.words, *f.opposites, *f.values}


def _before(word: str, raw: tuple[str, ...]) -> str | None:
    """The word written right before `word` in `raw` ("" at the start; None when it is absent)."""
    for i, w in enumerate(raw):
        if _matches(word, w):
            return raw[i - 1] if i else ""
    return None


def _qualifies(x: Facts, y: Facts, all_y: set[str]) -> bool:
    """Whether `x`'s head puts a word `y` lacks right before a word of `y`'s head that `y` leaves
    unqualified ("audit logs" / "logs"; but "Platform team" / "Payments team" is a substitution)."""
    for i, word in enumerate(x.head_raw[1:], start=1):
        extra = x.head_raw[i - 1]
        if not _in(word, y.head) or extra in _FILLER_BEFORE or _in(extra, all_y | set(y.head_raw)):
            continue
        if not any(_matches(extra, w) for w in x.head):  # a filler or a value, not a content word
            continue
        if extra in _MEASURE_WORDS:  # "the max upload size" is still the upload size
            continue
        before = _before(word, y.head_raw)
        if before == "" or before in _FILLER_BEFORE:
            return True
    return False


# Words before a subject that say which measure of it, not which thing: "max upload size".
_MEASURE_WORDS = _stems("max maximum min minimum default current total overall average")

_FILLER_BEFORE = frozenset(
    [
        "the",
        "a",
        "an",
        "our",
        "your",
        "their",
        "its",
        "this",
        "that",
        "these",
        "those",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
    ]
)


def _different_things(a: Facts, b: Facts) -> bool:
    """Whether the texts are about different things (the module's note)."""
    all_a, all_b = _everything(a), _everything(b)
    scopes_a = {w for w in all_a if w in _SCOPES} - all_b
    scopes_b = {w for w in all_b if w in _SCOPES} - all_a
    if scopes_a and scopes_b:
        return True
    only_a = [w for w in a.head if not _in(w, all_b)]
    only_b = [w for w in b.head if not _in(w, all_a)]
    if only_a and only_b:
        return True
    return _qualifies(a, b, all_b) or _qualifies(b, a, all_a)


# Switched on and switched off, across the groups of opposites ("disabled" / "on").
_ON = _word_set("on true yes enable enabled enables allow allowed allows")
_OFF = _word_set("off false disable disabled disables deny denied denies block blocked blocks")


def _opposed(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether the texts use different words of one group of opposites (on / off), or one says a
    thing is on and the other that it is off in other words."""
    if any((a & group) and (b & group) and (a & group) != (b & group) for group in OPPOSITES):
        return True
    return bool(
        (a & _ON and not a & _OFF and b & _OFF and not b & _ON)
        or (a & _OFF and not a & _ON and b & _ON and not b & _OFF)
    )


def _about_the_same(a: Facts, b: Facts) -> bool:
    """Whether they share at least two words or names (one where a text has three or fewer) and half
    of the longer one's: two statements of one fact, not a long text that holds a short one's words."""
    names_a, names_b = _names(a), _names(b)
    smaller, larger = sorted((len(a.words) + len(names_a), len(b.words) + len(names_b)))
    # A newer text that names the value it retires says more than the fact ("no longer npm; the repo
    # uses pnpm"): half of the shorter one's words are enough there.
    base = smaller if a.retires or b.retires else larger
    if smaller == 0 or smaller < base / 2:  # too few words to share half of the longer's
        return False
    shared = _shared(a, b) + len(names_a & names_b)
    return shared >= (1 if smaller <= 3 else 2) and shared / base >= 0.5


def _names(f: Facts) -> frozenset[str]:
    """The names written as identifiers ("DATABASE_URL", "on-call"): they say what a text is about."""
    return frozenset(v for v in f.values if v.startswith("id:"))


def _close_wording(a: Facts, b: Facts) -> bool:
    """Whether most of the longer text's words are the other's too: a negation or an opposite word
    turns a fact around only where the rest is the same statement ("flags are on in staging" /
    "flags are off in staging"), not in a longer story that happens to say "failed" or "not"."""
    return _shared(a, b) / max(len(a.words), len(b.words), 1) >= 0.6


def changes_fact(older: str, newer: str) -> bool:
    """Whether `newer` states another value for something `older` states (the module's note)."""
    if older.strip().lower() == newer.strip().lower():
        return False
    a, b = facts(older), facts(newer)
    if not _about_the_same(a, b) or _different_things(a, b):
        return False
    if not b.retires and contained_in(older, newer):
        return False
    if (a.negated != b.negated or _opposed(a.opposites, b.opposites)) and _close_wording(a, b):
        return True
    if a.values and b.values and not a.values <= b.values:
        return True
    # A change announced ("switched to", "now") must also leave something of the older one behind:
    # a newer text that keeps all of it and adds more is an addition ("now also").
    brings = any(not _held(w, a) for w in b.words) or not b.values <= a.values
    drops = any(not _held(w, b) for w in a.words) or not a.values <= b.values or b.retires
    return (b.announces_change or b.retires) and brings and drops


def changed_pairs(items: Sequence[tuple[str, float]]) -> list[tuple[int, int]]:
    """(older, newer) positions among `items` (content, when stated) where the newer one changes the
    older one's fact."""
    pairs = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            older, newer = (i, j) if items[i][1] <= items[j][1] else (j, i)
            if changes_fact(items[older][0], items[newer][0]):
                pairs.append((older, newer))
    return pairs


def newest_of(pairs: Sequence[tuple[int, int]], when: Sequence[float]) -> dict[int, int]:
    """Each older position of `pairs` and the newest statement that replaced it, following chains
    (5433, then 6543, then 7000: both older ones name the last)."""
    newer_of: dict[int, int] = {}
    for older, newer in pairs:
        current = newer_of.get(older)
        if current is None or when[newer] > when[current]:
            newer_of[older] = newer
    for older, newer in list(newer_of.items()):
        seen = {older}
        while newer in newer_of and newer not in seen:
            seen.add(newer)
            newer = newer_of[newer]
        newer_of[older] = newer
    return newer_of

"""How the keyword stage queries FTS5 without ranking every memory that holds a common word.

FTS5 computes BM25 for every memory matching any word of an OR query: about 1 microsecond per
matching row here, so a question holding a word found in 40,000 memories costs 40 ms at 100,000
memories whatever its other words. Like Elasticsearch's common-terms query, the words are split by
how many memories hold them: the rarest are kept while those counts add up to at most
POSTINGS_BUDGET ("rare"), the rest are "common". Two ranked queries then give the exact BM25 of the
full question for every memory holding a rare word:

- `rare1 OR rare2`: memories holding rare words only score the same as with the full question
  (BM25 adds nothing for a word a memory lacks);
- `(rare1 OR rare2) AND (common1 OR common2)`: memories holding both, scored on every word.

Taking the second score where both have one, the best of the union is the full question's best among
memories holding a rare word; what is lost is a memory holding only common words, which BM25 ranks
low. At 100,000 derived memories this kept almost all of the full query's top 10 at a budget of 4,000
in a fraction of its time (bench/README.md). Below a few thousand memories nothing is ever common.
When even the rarest word is over the budget, the newest memories holding it are taken (FTS5 walks
its lists by row id, so that costs only the rows returned) with their BM25.

A word held by at least half the memories is left out of the common words: FTS5's BM25 gives it an
IDF of 1e-6 (log((N - n + 0.5) / (n + 0.5)) is not positive), so it changes no score, yet the ranked
query would walk its whole list to count it ("s" of "Caroline's", held by most memories of the
derived corpus: bench/README.md).

Document frequencies come from an `fts5vocab` table over the keyword index (kept for a few minutes:
counting is the costly part at a million memories) and the words' stems from a scratch FTS5 table
with the same tokenizer, both in the connection's TEMP schema.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import time
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from mcp_memory.relevance import word_weight
from mcp_memory.storage.keyword_rows import KEYWORD_ROWS, match_expression
from mcp_memory.storage.postgres import search as pg_search
from mcp_memory.storage.query import POSTGRES, QuerySource, Transaction

if TYPE_CHECKING:
    from mcp_memory.storage.filters import MemoryFilter

__all__ = [
    "FREQUENCY_TTL",
    "KEYWORD_ROWS",
    "POSTINGS_BUDGET",
    "TOKENIZER",
    "KeywordPlan",
    "KeywordSource",
    "WordMatches",
    "WordStats",
    "best_matches",
    "count_keyword_rows",
    "match_expression",
    "match_words",
    "plan_keywords",
    "rebuild_keyword_index",
    "word_stats",
    "words_held",
    "words_held_exactly",
]

#: The tokenizer of `memories_fts` (schema 1); a test checks they agree.
TOKENIZER = "porter unicode61 remove_diacritics 2"
#: Matching rows the rare words may bring to the ranked queries.
POSTINGS_BUDGET = 4000
#: Seconds a word's document count is reused (see `_statistics`).
FREQUENCY_TTL = 300.0
#: Seconds the row count N is reused (one row read by its key; a search reads it at most once).
_ROWS_TTL = 1.0
#: On Postgres N is a count of the rows the member may read (about 10 ms at 100,000 memories, not
#: one row by its key): in a store of at least _PG_LARGE memories it is taken again after this many
#: seconds (a tenth more or fewer memories in that time is unlikely), in a smaller one as on SQLite.
_PG_ROWS_TTL = 10.0
_PG_LARGE = 10_000
#: A count is taken again when N moved by more than this share of N at the time, or ...
_DRIFT = 0.1
#: ... this many rows, whichever is more.
_DRIFT_ROWS = 20
_STEM_CACHE_LIMIT = 50_000
_stems: dict[str, tuple[str, ...]] = {}


class KeywordSource(QuerySource, Protocol):
    """A `QuerySource` that notes which TEMP tables its connection holds (the `Database`, or an
    `InlineReader` for a process without the server's connection layer: the client hooks), so the
    scratch tables below are made once per connection."""

    temp_tables: set[str]


#: Per source: each stem's (document count, when counted, the row count N then); "" holds N itself.
_frequencies: weakref.WeakKeyDictionary[KeywordSource, dict[str, tuple[int, float, int]]] = (
    weakref.WeakKeyDictionary()
)
_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class KeywordPlan:
    """The rare and the common words, and whether to rank every match of the rare ones (else: the
    newest matches)."""

    rare: tuple[str, ...]
    common: tuple[str, ...] = ()
    ranked: bool = True


_SCRATCH = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.mm_stems USING fts5(word, tokenize = '{TOKENIZER}')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.mm_stems_vocab USING fts5vocab(temp, mm_stems, 'instance')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.mm_fts_vocab USING fts5vocab(main, memories_fts, 'row')",
)


@dataclass(frozen=True, slots=True)
class _Statistics:
    stems: dict[str, tuple[str, ...]]
    counts: dict[str, int]
    rows: int


async def _statistics(db: KeywordSource, words: Sequence[str]) -> _Statistics:
    """Each word's stems, each stem's document count and the row count, from the caches where they
    are fresh and otherwise in one trip to the reader's thread (it was four to six).

    Stems of new words come from a scratch FTS5 table with the index's tokenizer (rows numbered by
    us, so that two searches stemming at once do not read each other's), joined to the index's
    vocabulary for their counts. fts5vocab counts a stem by walking its whole list, every time (costly
    at a million memories, most for the commonest words: bench/README.md); the counts only decide
    which words are rare and how much each weighs, so they are kept for FREQUENCY_TTL seconds, unless
    the store has grown or shrunk by more than `_DRIFT` since they were counted (then they are counted
    again: a store searched while empty and filled right after must not weigh its words by the empty
    store's counts). N is the first varint of FTS5's averages record (row 1 of `memories_fts_data`,
    one row by its key), read with any other statement and otherwise after `_ROWS_TTL` seconds.
    On Postgres the same figures come from its own stemmer and index (`postgres.search`)."""
    if db.dialect == POSTGRES:
        return await _postgres_statistics(db, words)
    now = time.monotonic()
    cache = _frequencies.setdefault(db, {})
    if len(cache) > _STEM_CACHE_LIMIT:
        cache.clear()
    if len(_stems) > _STEM_CACHE_LIMIT:
        _stems.clear()
    known_rows = cache[""][0] if "" in cache else None

    def fresh(key: str) -> bool:
        entry = cache.get(key)
        if entry is None or now - entry[1] > FREQUENCY_TTL:
            return False
        return known_rows is None or not _drifted(entry[2], known_rows)

    need_rows = "" not in cache or now - cache[""][1] > _ROWS_TTL
    unknown = [w for w in dict.fromkeys(words) if w not in _stems]
    numbers = [next(_numbers) for _ in unknown]
    stale = sorted({s for w in words if w in _stems for s in _stems[w] if not fresh(s)})
    # Decided once: another search may add the scratch tables while this one waits for its rows.
    prepare = "mm_stems" not in db.temp_tables
    statements: list[tuple[str, Sequence[Any]]] = [(sql, ()) for sql in _SCRATCH] if prepare else []
    if unknown:
        statements += _stem_statements(numbers, unknown)
    if stale:
        statements.append(_count_statement(stale))
    need_rows = need_rows or bool(statements)  # one row by its key: free beside other statements
    if need_rows:
        statements.append(("SELECT block FROM memories_fts_data WHERE id = 1", ()))
    results = await db.fetch_many(statements) if statements else []
    if prepare:
        db.temp_tables.add("mm_stems")
        results = results[len(_SCRATCH) :]
    rows = known_rows if known_rows is not None else 0
    if need_rows:
        block = results[-1][0][0] if results[-1] else None
        rows = _varint(bytes(block)) if block else 0
        cache[""] = (rows, now, rows)
    if unknown:
        _remember_stems(cache, results[1], numbers, unknown, now, rows)
        results = results[3:]
    if stale:
        _remember_counts(cache, stale, results[0], now, rows)
    stems = {w: _stems.get(w, ()) for w in words}
    # N was read just now and the store has changed since some of these counts: count them again.
    drifted = sorted(
        {s for group in stems.values() for s in group if s in cache and _drifted(cache[s][2], rows)}
    )
    if drifted:
        (recounted,) = await db.fetch_many([_count_statement(drifted)])
        _remember_counts(cache, drifted, recounted, now, rows)
    counts = {s: cache[s][0] for group in stems.values() for s in group if s in cache}
    return _Statistics(stems, counts, rows)


def _stem_statements(numbers: Sequence[int], words: Sequence[str]) -> list[tuple[str, Sequence[Any]]]:
    """Put `words` in the scratch table under `numbers` (one each), read their stems with each
    stem's document count, and take them out again: three statements for one trip."""
    marks = ", ".join("?" * len(numbers))
    return [
        (
            f"INSERT INTO temp.mm_stems(rowid, word) VALUES {', '.join(['(?, ?)'] * len(words))}",
            [value for pair in zip(numbers, words, strict=True) for value in pair],
        ),
        (
            "SELECT s.doc, s.term, v.doc FROM temp.mm_stems_vocab s LEFT JOIN temp.mm_fts_vocab v "
            f"ON v.term = s.term WHERE s.doc IN ({marks}) ORDER BY s.doc, s.offset",
            numbers,
        ),
        (f"DELETE FROM temp.mm_stems WHERE rowid IN ({marks})", numbers),
    ]


def _remember_stems(
    cache: dict[str, tuple[int, float, int]],
    rows_read: Sequence[Any],
    numbers: Sequence[int],
    words: Sequence[str],
    now: float,
    rows: int,
) -> None:
    """Keep each of `words`' stems (from `_stem_statements`' rows: number, stem, document count) and
    each stem's count."""
    found: dict[int, list[str]] = {}
    for number, stem, count in rows_read:
        found.setdefault(int(number), []).append(str(stem))
        cache[str(stem)] = (int(count or 0), now, rows)
    for number, word in zip(numbers, words, strict=True):
        _stems[word] = tuple(found.get(number, ()))


def _count_statement(stems: Sequence[str]) -> tuple[str, Sequence[Any]]:
    return (
        f"SELECT term, doc FROM temp.mm_fts_vocab WHERE term IN ({', '.join('?' * len(stems))})",
        list(stems),
    )


def _remember_counts(
    cache: dict[str, tuple[int, float, int]],
    stems: Sequence[str],
    rows_read: Sequence[Any],
    now: float,
    rows: int,
) -> None:
    counted = {str(r[0]): int(r[1]) for r in rows_read}
    for stem in stems:
        cache[stem] = (counted.get(stem, 0), now, rows)


async def _postgres_statistics(db: KeywordSource, words: Sequence[str]) -> _Statistics:
    """`_statistics` on Postgres, kept by the same rules: counts reused for FREQUENCY_TTL seconds
    unless the store has drifted since (`_drifted`), N for `_ROWS_TTL`; the stems and counts come from
    Postgres' stemmer and index, as the connecting member sees the rows. The stems and the counts
    they need are read over one connection in one trip to it (none when all are known)."""
    now = time.monotonic()
    cache = _frequencies.setdefault(db, {})
    if len(cache) > _STEM_CACHE_LIMIT:
        cache.clear()
    rows = cache[""][0] if "" in cache else 0
    age = now - cache[""][1] if "" in cache else math.inf
    need_rows = age > (_PG_ROWS_TTL if rows >= _PG_LARGE else _ROWS_TTL)

    def stale(stem: str) -> bool:
        entry = cache.get(stem)
        return entry is None or now - entry[1] > FREQUENCY_TTL or _drifted(entry[2], rows)

    async def reads(source: QuerySource) -> _Statistics:
        nonlocal rows
        stems = await pg_search.word_stems(source, words)
        wanted = sorted({s for group in stems.values() for s in group})
        counted, fresh_rows = await pg_search.stem_counts(
            source, [s for s in wanted if stale(s)], with_rows=need_rows
        )
        if fresh_rows is not None:
            rows = fresh_rows
            cache[""] = (rows, now, rows)
            # N was read just now and the store has changed since some of these counts: count them again.
            drifted = [s for s in wanted if s not in counted and s in cache and _drifted(cache[s][2], rows)]
            if drifted:
                counted.update((await pg_search.stem_counts(source, drifted, with_rows=False))[0])
        for stem, count in counted.items():
            cache[stem] = (count, now, rows)
        return _Statistics(stems, {s: cache[s][0] for s in wanted if s in cache}, rows)

    known = pg_search.known_stems(words)
    if known is not None and not need_rows and not any(stale(s) for group in known.values() for s in group):
        return await reads(db)  # nothing to read
    run_reads = getattr(db, "run_reads", None)  # the server's pool: one connection for all of it
    return await (run_reads(reads) if run_reads is not None else reads(db))


def _drifted(counted_at: int, rows: int) -> bool:
    """Whether the store's size moved enough since a count was taken (at `counted_at` rows) to take
    it again."""
    return abs(rows - counted_at) > max(_DRIFT_ROWS, _DRIFT * counted_at)


def _varint(data: bytes) -> int:
    """SQLite's variable-length integer at the start of `data` (7 bits a byte, the ninth byte whole)."""
    value = 0
    for index, byte in enumerate(data[:9]):
        if index == 8:
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value
    return value


async def plan_keywords(db: KeywordSource, words: Sequence[str]) -> KeywordPlan:
    """Choose the words of `words` the keyword query should use (see the module's note)."""
    if len(words) <= 1:
        return KeywordPlan(tuple(words))
    found = await _statistics(db, words)
    stems, counts, rows = found.stems, found.counts, found.rows
    if not any(stems.values()):
        return KeywordPlan(tuple(words))
    frequency = {w: sum(counts.get(s, 0) for s in stems[w]) for w in words}
    order = sorted(words, key=lambda w: (frequency[w], words.index(w)))
    kept: list[str] = []
    total = 0
    for word in order:
        if kept and total + frequency[word] > POSTINGS_BUDGET:
            break
        kept.append(word)
        total += frequency[word]

    def scoreless(word: str) -> bool:
        # One stem: the phrase's count is the stem's (a phrase of several can be rarer than each).
        return len(stems[word]) == 1 and rows > 0 and 2 * frequency[word] >= rows

    common = tuple(w for w in words if w not in kept and not scoreless(w))
    return KeywordPlan(tuple(kept), common, total <= POSTINGS_BUDGET)


async def best_matches(
    source: QuerySource, words: Sequence[str], flt: MemoryFilter, *, ranked: int, limit: int
) -> list[tuple[int, str]]:
    """(row id, content) of the memories `flt` admits among the `ranked` best BM25 matches of any of
    `words` in the whole index, best first, at most `limit`: one bounded query, for a caller that
    has chosen its words already (the prompt hook keeps only rare ones) and cannot wait for more."""
    if source.dialect == POSTGRES:
        return await pg_search.best_matches(source, words, flt, limit)
    match = match_expression(words)
    if match is None:
        return []
    where, params = flt.sql("m")
    rows = await source.fetchall(
        "SELECT m.id, m.content FROM (SELECT rowid, rank FROM memories_fts WHERE memories_fts MATCH ? "
        f"ORDER BY rank LIMIT ?) f JOIN memories m ON m.id = f.rowid WHERE {where} ORDER BY f.rank LIMIT ?",
        [match, ranked, *params, limit],
    )
    return [(int(r[0]), str(r[1])) for r in rows]


@dataclass(frozen=True, slots=True)
class WordMatches:
    """Which of a question's words each memory holds (as the keyword index stems them), and each
    word's weight: its inverse document frequency, ln(1 + (N - n + 0.5) / (n + 0.5)), so a word no
    memory holds weighs most and one every memory holds weighs least."""

    weights: dict[str, float]
    found: dict[int, frozenset[str]]


@dataclass(frozen=True, slots=True)
class WordStats:
    """A question's words as the keyword index sees them: each word's stems and weight."""

    words: tuple[str, ...]
    stems: dict[str, tuple[str, ...]]
    weights: dict[str, float]
    #: How many memories hold each word (the count of its rarest stem), and how many there are.
    held: dict[str, int] = field(default_factory=dict)
    rows: int = 0


async def word_stats(db: KeywordSource, words: Sequence[str], *, rows: int | None = None) -> WordStats:
    """The stems and weights of `words` (from `_statistics`: usually cached, then no trip at all),
    weighed among `rows` memories when given (else the index's N, see `_statistics`)."""
    unique = tuple(dict.fromkeys(words))
    if not unique:
        return WordStats((), {}, {})
    stats = await _statistics(db, unique)
    total = stats.rows if rows is None else rows
    held = {word: min((stats.counts.get(s, 0) for s in stats.stems[word]), default=0) for word in unique}
    weights = {word: word_weight(total, held[word]) for word in unique}
    return WordStats(unique, {w: stats.stems[w] for w in unique}, weights, held, total)


async def match_words(db: KeywordSource, words: Sequence[str], rowids: Sequence[int]) -> WordMatches:
    """For each memory of `rowids`, the words of `words` its content or tags hold, and each word's
    weight (`word_stats`, then `words_held`)."""
    stats = await word_stats(db, words)
    if not stats.words:
        return WordMatches({}, {})
    return await words_held(db, stats, rowids)


#: (row id, content and tags) of the memories of a JSON list of row ids: the text a memory's row in
#: the keyword index holds.
_TEXTS = (
    "SELECT m.id, m.content || ' ' || coalesce((SELECT group_concat(t.tag, ' ') FROM memory_tags t "
    "WHERE t.memory_id = m.id), '') FROM json_each(?) j JOIN memories m ON m.id = j.value"
)


async def words_held(source: QuerySource, stats: WordStats, rowids: Sequence[int]) -> WordMatches:
    """Which of the question's words each memory of `rowids` holds, read from `source` (a `Reader`,
    or a plain connection answering at once inside a search's last trip).

    A word is held when, for each of its stems (the keyword index's own porter stems), a word of the
    memory starts with it: "caches" and "caching" hold "cache" (stem "cach"); a stem ending in "i"
    that came from a "y" also matches the "y" ("happy" for "happiness", stem "happi"). One regular
    expression finds the memory's words that start with any stem, so the texts are scanned once in C,
    faster than tokenising them in a scratch FTS5 table, whose inserts and deletes kept merging
    segments (bench/README.md). It may count a longer word ("runtime" for "run")
    that the index would not."""
    words = stats.words
    ids = list(dict.fromkeys(int(r) for r in rowids))
    stems = sorted({s for w in words for s in stats.stems[w]}, key=len, reverse=True)
    if not ids or not stems:
        return WordMatches(stats.weights, {i: frozenset() for i in ids})
    if source.dialect == POSTGRES:
        texts = await pg_search.memory_texts(source, ids)
    else:
        texts = await source.fetchall(_TEXTS, [json.dumps(ids)])
    pattern, implied = _stem_pattern(tuple(stems))
    needs = [(w, frozenset(stats.stems[w])) for w in words if stats.stems[w]]
    found = {i: frozenset[str]() for i in ids}
    for rowid, text in texts:
        begins = set(pattern.findall(_plain(str(text))))
        if begins:
            have = frozenset().union(*(implied[b] for b in begins))
            found[int(rowid)] = frozenset(w for w, need in needs if need <= have)
    return WordMatches(stats.weights, found)


async def words_held_exactly(db: KeywordSource, stats: WordStats, rowids: Sequence[int]) -> WordMatches:
    """`words_held` from the keyword index's own stems of each memory's text (its tokenizer, in the
    scratch table `_statistics` stems words in): a word is held when the text has each of its stems.
    Exact where `words_held` guesses from how words begin ("naming" holds "name", whose stem it has
    though it does not begin with it; "runtime" does not hold "run"), and slower (the texts go
    through FTS5): for a few memories, as the prompt hook scores its 30 candidates."""
    ids = list(dict.fromkeys(int(r) for r in rowids))
    needs = [(w, frozenset(stats.stems[w])) for w in stats.words if stats.stems[w]]
    found = {i: frozenset[str]() for i in ids}
    if not ids or not needs:
        return WordMatches(stats.weights, found)
    if db.dialect == POSTGRES:  # the stems are the memory's keyword vector's own
        held = await pg_search.memory_stems(db, ids)
        for rowid, stems in held.items():
            found[rowid] = frozenset(w for w, need in needs if need <= stems)
        return WordMatches(stats.weights, found)
    texts = await db.fetchall(_TEXTS, [json.dumps(ids)])
    if not texts:
        return WordMatches(stats.weights, found)
    numbers = [next(_numbers) for _ in texts]
    marks = ", ".join("?" * len(numbers))
    prepare = "mm_stems" not in db.temp_tables  # decided once, as in `_statistics`
    statements: list[tuple[str, Sequence[Any]]] = [(sql, ()) for sql in _SCRATCH] if prepare else []
    statements += [
        (
            f"INSERT INTO temp.mm_stems(rowid, word) VALUES {', '.join(['(?, ?)'] * len(texts))}",
            [value for number, row in zip(numbers, texts, strict=True) for value in (number, str(row[1]))],
        ),
        (f"SELECT doc, term FROM temp.mm_stems_vocab WHERE doc IN ({marks})", numbers),
        (f"DELETE FROM temp.mm_stems WHERE rowid IN ({marks})", numbers),
    ]
    results = await db.fetch_many(statements)
    if prepare:
        db.temp_tables.add("mm_stems")
        results = results[len(_SCRATCH) :]
    have: dict[int, set[str]] = {}
    for number, stem in results[1]:
        have.setdefault(int(number), set()).add(str(stem))
    for number, row in zip(numbers, texts, strict=True):
        stems = have.get(number, set())
        found[int(row[0])] = frozenset(w for w, need in needs if need <= stems)
    return WordMatches(stats.weights, found)


@functools.lru_cache(maxsize=256)
def _stem_pattern(stems: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, frozenset[str]]]:
    """A pattern finding the words that begin with any of `stems` (one alternative per way a word can
    begin, longest first; `findall` gives the beginning matched), and for each beginning the stems a
    word starting with it holds (a word starting with a longer stem also holds every stem that is a
    prefix of it: "run" in "runner"). Cached: a search matches words twice with the same stems."""
    begins = sorted({begin for stem in stems for begin in _starts(stem)}, key=len, reverse=True)
    pattern = re.compile(r"(?<![^\W_])(" + "|".join(re.escape(b) for b in begins) + ")")
    implied = {
        begin: frozenset(s for s in stems if any(begin.startswith(b) for b in _starts(s))) for begin in begins
    }
    return pattern, implied


def _starts(stem: str) -> tuple[str, ...]:
    """How a word holding `stem` begins: a stem ending in "i" may have come from a "y"; one ending in
    an "e" the stemmer kept may have come from a word without it ("staging", "hoping": stems
    "stage", "hope")."""
    if len(stem) > 2 and stem.endswith("i"):
        return (stem, stem[:-1] + "y")
    if len(stem) > 3 and stem.endswith("e"):
        return (stem, stem[:-1])
    return (stem,)


def _plain(text: str) -> str:
    """Lower case without diacritics, as the index's tokenizer sees letters."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def count_keyword_rows(source: QuerySource) -> int:
    """How many rows the keyword index holds (one per live memory when it is in step)."""
    rows = await source.fetchall("SELECT count(*) FROM memories_fts")
    return int(rows[0][0] or 0) if rows else 0


async def rebuild_keyword_index(conn: Transaction) -> int:
    """Rebuild the keyword index from the live memories and their tags, in the caller's
    transaction; how many rows it holds then."""
    await conn.execute("DELETE FROM memories_fts")
    await conn.execute(KEYWORD_ROWS)
    return await count_keyword_rows(conn)

"""Incremental BM25 (kb.keyword_index) compared with fresh rebuilds."""

from __future__ import annotations

import math

import pytest

from kb import keyword_index
from kb.keyword_index import KeywordIndex
from kb.text import tokens

CORPUS = {
    1: "Return boots within 30 days for a full refund",
    2: "Refunds are paid to the original card within five days",
    3: "Track your parcel with the tracking number from the email",
    4: "A lost parcel is replaced once the courier confirms it is missing",
    5: "Pitch the tent with the pegs and guy lines",
    6: "Waterproof jackets need reproofing every season",
    7: "Gift cards never expire and can be used online",
    8: "Change the delivery address before the parcel ships",
    9: "Sleeping bags are rated by comfort temperature",
    10: "Stove fuel cannot be shipped by air",
    11: "Hiking boots need breaking in before long walks",
    12: "Size guide for boots and walking shoes",
}


def tokenised(corpus: dict[int, str]) -> dict[int, tuple[str, ...]]:
    """The keyword tokens of each passage text."""
    return {pid: tuple(tokens(text)) for pid, text in corpus.items()}


def built(corpus: dict[int, str]) -> KeywordIndex:
    """A freshly built index over the corpus."""
    index = KeywordIndex()
    index.build(tokenised(corpus))
    return index


def all_scores(index: KeywordIndex, query: str, ids: list[int]) -> dict[int, float]:
    """The score of every given passage for a query."""
    scores = index.scores(tokens(query))
    return {pid: scores.get(pid) for pid in ids}


def top_ids(index: KeywordIndex, query: str, k: int = 10) -> list[int]:
    """The ids of the best ``k`` passages for a query."""
    return [pid for pid, _ in index.scores(tokens(query)).top(k)]


def lucene_bm25(corpus: dict[int, tuple[str, ...]], query: list[str], pid: int) -> float:
    """Reference Lucene BM25 (k1=1.2, b=0.75) of one passage, computed by hand."""
    n = len(corpus)
    avgdl = sum(len(toks) for toks in corpus.values()) / n
    doc = corpus[pid]
    score = 0.0
    for term in set(query):
        df = sum(term in toks for toks in corpus.values())
        tf = doc.count(term)
        if tf:
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            score += idf * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * len(doc) / avgdl))
    return score


def test_built_scores_match_lucene_bm25() -> None:
    """A built index scores like the textbook Lucene BM25 formula."""
    corpus = tokenised(CORPUS)
    index = built(CORPUS)

    for query in ("return boots", "parcel lost", "tent pegs"):
        query_tokens = tokens(query)
        scores = index.scores(query_tokens)
        for pid in corpus:
            assert scores.get(pid) == pytest.approx(
                lucene_bm25(corpus, query_tokens, pid), rel=1e-5
            )


def test_top_ranks_best_first_and_respects_k() -> None:
    """top(k) gives at most k matching passages, best first."""
    index = built(CORPUS)

    found = index.scores(tokens("boots parcel")).top(3)

    assert len(found) == 3
    assert [score for _, score in found] == sorted((s for _, s in found), reverse=True)
    assert all(score > 0 for _, score in found)
    assert {pid for pid, _ in found} <= {1, 3, 4, 8, 11, 12}


def test_delta_scoring_uses_the_same_formula_as_the_main_index() -> None:
    """Re-upserting unchanged passages moves them into the delta without changing their scores."""
    index = built(CORPUS)
    queries = ["return boots", "lost parcel", "delivery address parcel", "boots walking"]
    before = {q: all_scores(index, q, list(CORPUS)) for q in queries}

    index.upsert({pid: tokens(CORPUS[pid]) for pid in (1, 4, 8, 12)})

    assert index.merges == 1
    for query in queries:
        after = all_scores(index, query, list(CORPUS))
        assert after == pytest.approx(before[query], rel=1e-5)


def test_changes_rank_like_a_fresh_rebuild() -> None:
    """After upserts and removals (no merge yet) the top hit is a fresh rebuild's top hit."""
    index = built(CORPUS)
    final = dict(CORPUS)
    changes: list[tuple[str, int, str]] = [
        ("upsert", 13, "Repair kit for tent poles and torn flysheets"),
        ("remove", 5, ""),
        ("upsert", 1, "Send boots back within 60 days using the prepaid label"),
        ("upsert", 14, "Parcel lockers can hold your delivery for three days"),
        ("remove", 7, ""),
        ("upsert", 15, "Gift vouchers can be redeemed in store"),
        ("remove", 14, ""),
    ]
    for action, pid, text in changes:
        if action == "upsert":
            index.upsert({pid: tokens(text)})
            final[pid] = text
        else:
            index.remove([pid])
            del final[pid]
    fresh = built(final)

    assert index.merges == 1
    assert len(index) == len(fresh) == len(final)
    for query in (
        "tent poles repair",
        "prepaid label boots",
        "gift vouchers store",
        "lost parcel courier",
        "refund card",
        "stove fuel air",
    ):
        assert top_ids(index, query)[:1] == top_ids(fresh, query)[:1], query
        assert set(top_ids(index, query, 50)) == set(top_ids(fresh, query, 50)), query


def test_merge_happens_after_enough_changes_and_equals_a_rebuild(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past MERGE_MIN changes the delta is merged; scores then equal a fresh build exactly."""
    monkeypatch.setattr(keyword_index, "MERGE_MIN", 4)
    index = built(CORPUS)
    final = dict(CORPUS)
    index.remove([9])
    del final[9]
    extra = {20: "Boot laces in three lengths", 21: "Parcel insurance for expensive orders"}
    extra |= {22: "Tent footprint protects the groundsheet"}
    for pid, text in extra.items():
        index.upsert({pid: tokens(text)})
        final[pid] = text
    assert index.merges == 1

    index.upsert({23: tokens("Return a gift without the receipt")})
    final[23] = "Return a gift without the receipt"

    assert index.merges == 2
    fresh = built(final)
    ids = list(final)
    for query in ("boot laces", "parcel", "return gift", "tent groundsheet", "sleeping bags"):
        assert all_scores(index, query, ids) == all_scores(fresh, query, ids), query


def test_merge_threshold_is_merge_min_changes_for_small_indexes() -> None:
    """A small index merges only once more than MERGE_MIN changes are pending."""
    index = built(CORPUS)
    pending = keyword_index.MERGE_MIN

    index.upsert({1_000 + i: ("filler", f"tok{i}") for i in range(pending)})
    assert index.merges == 1

    index.upsert({5_000: ("filler",)})
    assert index.merges == 2
    assert len(index) == len(CORPUS) + pending + 1


def test_removed_passages_never_score() -> None:
    """Removed passages, from the main index or the delta, score zero and are never in top."""
    index = built(CORPUS)
    index.upsert({30: tokens("Boots boots boots")})

    index.remove([1, 11, 30])

    scores = index.scores(tokens("boots"))
    assert [scores.get(pid) for pid in (1, 11, 30)] == [0.0, 0.0, 0.0]
    assert {pid for pid, _ in scores.top(50)} == {12}
    assert len(index) == len(CORPUS) - 2


def test_removing_unknown_ids_is_ignored() -> None:
    """Unknown ids can be removed without error or effect."""
    index = built(CORPUS)

    index.remove([999, -1])

    assert len(index) == len(CORPUS)
    assert top_ids(index, "tent pegs")[:1] == [5]


def test_upserting_an_existing_id_replaces_it() -> None:
    """The old text of a replaced passage no longer matches; the new text does."""
    index = built(CORPUS)

    index.upsert({5: tokens("Camping stoves and gas canisters")})

    assert 5 not in top_ids(index, "tent pegs", 50)
    assert top_ids(index, "gas canisters")[:1] == [5]
    assert len(index) == len(CORPUS)

    index.upsert({5: tokens("Mosquito nets")})
    assert top_ids(index, "gas canisters") == []
    assert top_ids(index, "mosquito") == [5]


def test_empty_index_accepts_upserts() -> None:
    """Passages added to an index never built are searchable."""
    index = KeywordIndex()

    index.upsert({1: tokens("Return boots"), 2: tokens("Lost parcel")})

    assert top_ids(index, "parcel") == [2]
    assert index.vocabulary >= {"return", "boot", "lost", "parcel"}


def test_empty_query_gives_no_results() -> None:
    """A query without tokens matches nothing, with or without a delta."""
    index = built(CORPUS)
    assert index.scores([]).top(10) == []

    index.upsert({40: tokens("New passage about boots")})
    assert index.scores([]).top(10) == []
    assert index.scores(tokens("the and of")).top(10) == []


def test_unknown_tokens_give_no_results() -> None:
    """Tokens no passage contains match nothing, with or without a delta."""
    index = built(CORPUS)
    assert index.scores(["xylophon", "zeppelin"]).top(10) == []

    index.upsert({40: tokens("New passage about boots")})
    assert index.scores(["xylophon"]).top(10) == []
    assert index.scores(["xylophon"]).get(40) == 0.0


def test_repeated_query_tokens_count_once() -> None:
    """Saying a word twice in a query does not double its weight."""
    index = built(CORPUS)
    index.upsert({40: tokens("Boots for winter")})

    once = all_scores(index, "boots", [1, 11, 40])
    twice = all_scores(index, "boots boots", [1, 11, 40])

    assert once == twice


def test_vocabulary_covers_main_and_delta() -> None:
    """The vocabulary holds built and upserted tokens."""
    index = built(CORPUS)

    index.upsert({50: ("crampon",)})

    assert {"crampon", "parcel", "tent"} <= index.vocabulary

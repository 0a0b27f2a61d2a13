"""Hybrid search over a handful of documents (kb.search) with the hashing embedder."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest

from kb.chunking import passages_for
from kb.documents import PassageKind, SearchDocument, Source
from kb.results import SearchFilters, SearchResult
from kb.search import MAX_QUERY_CHARS, Mode, QueryError, SearchEngine
from tests.kb.fakes import HashingEmbedder

RETURNS = SearchDocument(
    key="article:returns",
    source=Source.OFFICIAL,
    ref="returns",
    title="Returning boots and other gear",
    summary="Send items back within 30 days.",
    body=(
        "## How to return\nYou can return any unworn item within 30 days. Print the prepaid label "
        "and drop the box at a post office.\n\n"
        "## Refunds\nRefunds reach your card within five working days."
    ),
    category="returns",
    phrasings=("how do I send something back",),
)
SHIPPING = SearchDocument(
    key="article:shipping",
    source=Source.OFFICIAL,
    ref="shipping",
    title="Delivery times and tracking",
    body="Standard delivery takes three to five days. Every order gets a tracking number by email.",
    category="shipping",
)
TENT = SearchDocument(
    key="article:tent",
    source=Source.OFFICIAL,
    ref="tent",
    title="Pitching your tent",
    body="Lay out the groundsheet, push the pegs in at an angle and tension the guy lines.",
    category="gear",
)
PASSWORD = SearchDocument(
    key="article:password",
    source=Source.OFFICIAL,
    ref="password",
    title="Reset your account password",
    body="Use the forgotten password link on the sign-in page.",
    category="account",
)
PARCEL = SearchDocument(
    key="question:7",
    source=Source.COMMUNITY,
    ref="7",
    title="Parcel never arrived",
    body="My parcel shows delivered but it never came.",
    category="shipping",
    answers=("Ask the courier for the photo proof, then contact support for a replacement.",),
)
DRAFT = SearchDocument(
    key="article:giftcards",
    source=Source.OFFICIAL,
    ref="gift-cards",
    title="Gift voucher balance",
    body="Check the balance of a gift voucher online.",
    category="payments",
    status="draft",
)
PRIVATE = SearchDocument(
    key="article:warehouse",
    source=Source.OFFICIAL,
    ref="warehouse",
    title="Warehouse forklift safety",
    body="Staff must complete forklift training before driving in the warehouse.",
    category="staff",
    public=False,
)
DOCS = [RETURNS, SHIPPING, TENT, PASSWORD, PARCEL, DRAFT, PRIVATE]
PUBLISHED_PUBLIC = {d.key for d in DOCS if d.status == "published" and d.public}

OBVIOUS = [
    ("return boots", RETURNS.key),
    ("tent pegs", TENT.key),
    ("parcel never arrived", PARCEL.key),
    ("reset password", PASSWORD.key),
    ("delivery tracking number", SHIPPING.key),
]


@pytest.fixture
def embedder() -> HashingEmbedder:
    """A fresh hashing embedder."""
    return HashingEmbedder()


@pytest.fixture
def search_engine(embedder: HashingEmbedder) -> SearchEngine:
    """An engine built over every test document."""
    built = SearchEngine(embedder)
    built.build(DOCS)
    return built


def keys(result: SearchResult) -> list[str]:
    """The document keys of a result, in rank order."""
    return [hit.key for hit in result.hits]


def ranking(
    search_engine: SearchEngine, query: str, mode: Mode
) -> list[tuple[str, float, float, float]]:
    """Every ranked hit with its scores, for comparing two engines."""
    result = search_engine.search(query, limit=50, mode=mode, filters=SearchFilters.staff())
    return [(h.key, h.score, h.dense_score, h.keyword_score) for h in result.hits]


# -- ranking --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize(("query", "expected"), OBVIOUS)
def test_obvious_document_ranks_first_in_every_mode(
    search_engine: SearchEngine, query: str, expected: str, mode: Mode
) -> None:
    """Each query's obvious document is the top hit, whatever retrievers rank."""
    result = search_engine.search(query, mode=mode)

    assert keys(result)[0] == expected
    assert result.hits[0].score >= max(h.score for h in result.hits)


def test_hit_carries_document_fields_and_the_best_passage(search_engine: SearchEngine) -> None:
    """A hit shows the document's fields and a snippet of its best passage, matches marked."""
    hit = search_engine.search("refunds card").hits[0]

    assert (hit.key, hit.ref, hit.title) == (RETURNS.key, "returns", RETURNS.title)
    assert (hit.source, hit.category, hit.status) == (Source.OFFICIAL, "returns", "published")
    assert hit.passage_kind == PassageKind.BODY
    assert hit.heading == "Refunds"
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["Refunds", "card"]
    assert hit.keyword_score > 0
    assert 0 < hit.dense_score <= 1


def test_keyword_mode_finds_only_documents_sharing_words(search_engine: SearchEngine) -> None:
    """Keyword search returns no hits for words no document contains; dense always ranks."""
    assert search_engine.search("qwxz vbnm", mode=Mode.KEYWORD).hits == []
    assert search_engine.search("qwxz vbnm", mode=Mode.DENSE).hits != []


def test_query_whitespace_is_normalised(search_engine: SearchEngine) -> None:
    """The result's query is the query with runs of whitespace collapsed."""
    result = search_engine.search("  tent \n\t pegs ")

    assert result.query == "tent pegs"
    assert keys(result)[0] == TENT.key


# -- filters --------------------------------------------------------------------------------


def test_default_filters_show_only_published_public_documents(search_engine: SearchEngine) -> None:
    """Customers never see drafts or private documents, however well they match."""
    for query in ("gift voucher balance", "warehouse forklift safety"):
        for mode in Mode:
            found = set(keys(search_engine.search(query, limit=50, mode=mode)))
            assert found <= PUBLISHED_PUBLIC
    assert search_engine.search("gift voucher balance", mode=Mode.KEYWORD).total == 0


def test_staff_filters_show_drafts_and_private_documents(search_engine: SearchEngine) -> None:
    """Editors find drafts and private documents first when they ask for them."""
    staff = SearchFilters.staff()

    assert keys(search_engine.search("gift voucher balance", filters=staff))[0] == DRAFT.key
    assert keys(search_engine.search("warehouse forklift", filters=staff))[0] == PRIVATE.key


def test_statuses_and_privacy_filter_independently(search_engine: SearchEngine) -> None:
    """include_private alone shows private published documents but still hides drafts."""
    private_ok = SearchFilters(include_private=True)
    drafts_ok = SearchFilters(statuses=frozenset({"published", "draft"}))

    assert keys(search_engine.search("warehouse forklift", filters=private_ok))[0] == PRIVATE.key
    assert DRAFT.key not in keys(search_engine.search("gift voucher", filters=private_ok, limit=50))
    assert keys(search_engine.search("gift voucher", filters=drafts_ok))[0] == DRAFT.key
    assert PRIVATE.key not in keys(
        search_engine.search("warehouse forklift", filters=drafts_ok, limit=50)
    )


def test_category_filter(search_engine: SearchEngine) -> None:
    """Only documents in the chosen categories are returned."""
    filters = SearchFilters(categories=frozenset({"shipping"}))

    result = search_engine.search("return boots", filters=filters, limit=50)

    assert set(keys(result)) == {SHIPPING.key, PARCEL.key}
    assert {h.category for h in result.hits} == {"shipping"}


def test_source_filter(search_engine: SearchEngine) -> None:
    """Filtering by source keeps community threads apart from official articles."""
    community = SearchFilters(sources=frozenset({Source.COMMUNITY}))
    official = SearchFilters(sources=frozenset({Source.OFFICIAL}))

    assert keys(search_engine.search("parcel", filters=community, limit=50)) == [PARCEL.key]
    assert PARCEL.key not in keys(
        search_engine.search("parcel never arrived", filters=official, limit=50)
    )


# -- changes --------------------------------------------------------------------------------


def test_upsert_makes_a_new_document_findable_immediately(
    search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """A new document is the top hit right after upsert; only its passages are embedded."""
    stove = SearchDocument(
        key="article:stove",
        source=Source.OFFICIAL,
        ref="stove",
        title="Cleaning your camping stove",
        body="Clear the jet with the pricker and wipe soot off the burner.",
        category="gear",
    )
    embedder.reset_counts()

    search_engine.upsert([stove])

    assert embedder.texts == [p.text for p in passages_for(stove)]
    assert len(search_engine) == len(DOCS) + 1
    assert search_engine.get(stove.key) == stove
    for mode in Mode:
        assert keys(search_engine.search("stove burner soot", mode=mode))[0] == stove.key


def test_replacing_a_document_changes_what_matches(search_engine: SearchEngine) -> None:
    """After replacing a document's text its old words no longer find it; its new words do."""
    passages_before = search_engine.passage_count
    score_before = search_engine.search("pitching tent pegs").hits[0].score
    replaced = replace(
        TENT, title="Choosing a sleeping bag", body="Pick a bag rated below the coldest night."
    )

    search_engine.upsert([replaced])

    assert search_engine.search("tent pegs groundsheet", mode=Mode.KEYWORD).hits == []
    after = {h.key: h.score for h in search_engine.search("pitching tent pegs", limit=50).hits}
    assert after[TENT.key] < score_before / 3
    assert keys(search_engine.search("sleeping bag rating"))[0] == TENT.key
    assert search_engine.search("sleeping bag").hits[0].title == "Choosing a sleeping bag"
    assert search_engine.passage_count == passages_before
    assert len(search_engine) == len(DOCS)


def test_remove_makes_a_document_unfindable(search_engine: SearchEngine) -> None:
    """A removed document is in no mode's results, and unknown keys are ignored."""
    search_engine.remove([RETURNS.key, "article:unknown"])

    assert search_engine.get(RETURNS.key) is None
    assert len(search_engine) == len(DOCS) - 1
    assert search_engine.passage_count == sum(
        len(passages_for(d)) for d in DOCS if d is not RETURNS
    )
    for mode in Mode:
        result = search_engine.search("return boots refunds", mode=mode, limit=50)
        assert RETURNS.key not in keys(result)


def test_upsert_of_nothing_changes_nothing(
    search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """An empty upsert neither embeds nor alters the index."""
    embedder.reset_counts()

    search_engine.upsert([])

    assert embedder.calls == 0
    assert len(search_engine) == len(DOCS)


def test_an_engine_never_built_takes_upserts(embedder: HashingEmbedder) -> None:
    """Upserting into an empty engine creates its indexes on the fly."""
    search_engine = SearchEngine(embedder)
    assert search_engine.search("tent").hits == []

    search_engine.upsert([TENT, PASSWORD])

    for mode in Mode:
        assert keys(search_engine.search("tent pegs", mode=mode))[0] == TENT.key


def test_build_replaces_the_whole_index(search_engine: SearchEngine) -> None:
    """Building again drops documents that are not in the new set."""
    search_engine.build([TENT])

    assert [d.key for d in search_engine.documents()] == [TENT.key]
    assert keys(search_engine.search("return boots", limit=50)) == [TENT.key]


# -- queries --------------------------------------------------------------------------------


def test_typo_query_finds_the_document_and_reports_the_correction(
    search_engine: SearchEngine,
) -> None:
    """A misspelled query is corrected against the corpus and still finds the document."""
    for mode in Mode:
        result = search_engine.search("retrun boots", mode=mode)
        assert result.corrected_query == "return boots"
        assert keys(result)[0] == RETURNS.key
    assert search_engine.search("return boots").corrected_query is None


def test_typo_query_embeds_both_spellings_once(
    search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """Dense search embeds the query as typed and as corrected in one call; keyword search none."""
    embedder.reset_counts()

    search_engine.search("retrun boots")
    assert (embedder.calls, embedder.texts) == (1, ["retrun boots", "return boots"])

    search_engine.search("retrun boots", mode=Mode.KEYWORD)
    assert embedder.calls == 1


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_raises_query_error(search_engine: SearchEngine, query: str) -> None:
    """A blank query is refused."""
    with pytest.raises(QueryError, match="empty"):
        search_engine.search(query)


def test_too_long_query_raises_query_error(search_engine: SearchEngine) -> None:
    """A query over 500 characters is refused; exactly 500 is searched."""
    with pytest.raises(QueryError, match=r"too long \(501 > 500\)"):
        search_engine.search("a" * (MAX_QUERY_CHARS + 1))

    assert search_engine.search("tent " * 99 + "tent").query == ("tent " * 99 + "tent")
    assert issubclass(QueryError, ValueError)


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (5, -1)])
def test_bad_paging_arguments_raise_value_error(
    search_engine: SearchEngine, limit: int, offset: int
) -> None:
    """limit below 1 or a negative offset is refused."""
    with pytest.raises(ValueError, match="limit must be"):
        search_engine.search("tent", limit=limit, offset=offset)


def test_paging_is_consistent_with_total(search_engine: SearchEngine) -> None:
    """Pages of two concatenate to the full ranking, and every page reports the same total."""
    staff = SearchFilters.staff()
    full = search_engine.search("your order", limit=50, filters=staff, mode=Mode.DENSE)
    pages = [
        search_engine.search("your order", limit=2, offset=offset, filters=staff, mode=Mode.DENSE)
        for offset in range(0, full.total + 2, 2)
    ]

    assert full.total == len(full.hits) == len(DOCS)
    assert [k for page in pages for k in keys(page)] == keys(full)
    assert {page.total for page in pages} == {full.total}
    assert pages[-1].hits == []


def test_confidence_is_a_probability_and_higher_for_an_exact_title(
    search_engine: SearchEngine,
) -> None:
    """An exact title query is answered with high confidence; nonsense with low."""
    for mode in (Mode.HYBRID, Mode.DENSE):
        exact = search_engine.search("Pitching your tent", mode=mode).confidence
        nonsense = search_engine.search("qwxz vbnm plorf", mode=mode).confidence
        assert 0.0 <= nonsense < 0.3 < 0.9 < exact <= 1.0  # 0.3: the default handover threshold
    assert search_engine.search("qwxz vbnm", mode=Mode.KEYWORD).confidence == 0.0


def test_keyword_mode_never_claims_confidence(search_engine: SearchEngine) -> None:
    """Keyword-only ranking has no calibrated confidence, so it never tells a bot to answer."""
    exact = search_engine.search("Pitching your tent", mode=Mode.KEYWORD)
    assert keys(exact)[0] == "article:tent"
    assert exact.confidence == 0.0


# -- persistence and threads ----------------------------------------------------------------


def test_export_restore_round_trip_gives_identical_results(
    search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """A fresh engine restored from an exported state ranks and scores exactly alike."""
    state = search_engine.export_state()
    restored = SearchEngine(embedder)

    restored.restore(state)

    assert len(restored) == len(search_engine)
    assert restored.passage_count == search_engine.passage_count
    for query in ("return boots", "retrun boots", "tent pegs", "your order", "gift voucher"):
        for mode in Mode:
            assert ranking(restored, query, mode) == ranking(search_engine, query, mode)


def test_restored_engine_keeps_taking_changes(
    search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """After changes, export and restore, ids continue and new documents are findable."""
    search_engine.upsert([replace(TENT, body="Stakes and poles for the tent")])
    search_engine.remove([SHIPPING.key])
    restored = SearchEngine(embedder)
    restored.restore(search_engine.export_state())

    restored.upsert([replace(PASSWORD, key="article:stove", title="Cleaning a stove")])

    assert keys(restored.search("cleaning stove"))[0] == "article:stove"
    assert keys(restored.search("stakes poles"))[0] == TENT.key
    assert SHIPPING.key not in keys(restored.search("delivery tracking", limit=50))


def test_exported_state_is_a_snapshot(
    search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """Changing the engine after export_state leaves the exported state as it was."""
    state = search_engine.export_state()
    exported_vectors = len(state.vector_index) if state.vector_index else 0

    search_engine.remove([RETURNS.key])
    search_engine.upsert([replace(TENT, key="article:tent2")])

    assert state.vector_index is not None
    assert len(state.passages) == exported_vectors
    assert len(state.vector_index) == exported_vectors


def test_concurrent_searches_and_changes(embedder: HashingEmbedder) -> None:
    """Searches in four threads while another upserts and removes: no errors, consistent end."""
    engine = SearchEngine(embedder)
    engine.build(DOCS)
    errors: list[BaseException] = []
    searches: list[Mode] = []
    done = threading.Event()
    start = threading.Barrier(5)
    extra = [
        replace(TENT, key=f"article:extra{i}", title=f"Extra tent guide {i}") for i in range(20)
    ]

    def searcher(mode: Mode) -> None:
        """Search until the writer is done."""
        try:
            start.wait()
            while not done.is_set():
                for query, _ in OBVIOUS:
                    result = engine.search(query, mode=mode, filters=SearchFilters.staff())
                    assert 0.0 <= result.confidence <= 1.0
                    assert len(result.hits) <= result.total
                    searches.append(mode)
        except BaseException as error:  # collected for the main thread
            errors.append(error)

    def writer() -> None:
        """Add, replace and remove documents."""
        try:
            start.wait()
            for round_ in range(3):
                for doc in extra:
                    engine.upsert([replace(doc, body=f"Round {round_} notes on pegs")])
                engine.remove([d.key for d in extra[::2]])
                engine.upsert([replace(RETURNS, summary=f"Returns, round {round_}")])
        except BaseException as error:  # collected for the main thread
            errors.append(error)
        finally:
            done.set()

    threads = [threading.Thread(target=searcher, args=(mode,)) for mode in [*Mode, Mode.HYBRID]]
    threads.append(threading.Thread(target=writer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert len(searches) >= 20
    expected = {d.key for d in DOCS} | {d.key for d in extra[1::2]}
    assert {d.key for d in engine.documents()} == expected
    state = engine.export_state()
    assert len(state.passages) == engine.passage_count
    assert state.vector_index is not None
    assert len(state.vector_index) == engine.passage_count
    assert np.allclose(np.linalg.norm(state.vectors, axis=1), 1.0, atol=1e-5)
    assert keys(engine.search("extra tent guide 19", mode=Mode.KEYWORD))[0] == "article:extra19"
    assert "article:extra18" not in keys(engine.search("extra tent guide 18", limit=50))

import pytest

from copilot.pipeline.keyword_search import BM25, reciprocal_rank_fusion, tokenize


def test_tokenize_drops_question_filler():
    assert tokenize("Tell me about a time you used PSI for data-quality drift") == [
        "used",
        "psi",
        "data-quality",
        "data",
        "quality",
        "drift",
    ]


def test_bm25_prefers_rare_exact_terms():
    docs = ["model drift and monitoring", "population stability index PSI for drift", "cooking pasta"]
    bm25 = BM25(docs)
    assert bm25.top("how do you compute PSI", 3)[0] == 1
    assert 2 not in bm25.scores("drift monitoring")


def test_rrf_rewards_agreement():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "a", "d"]])
    assert max(fused, key=fused.get) in {"a", "b"}
    assert fused["b"] > fused["c"] and fused["a"] > fused["d"]


def _reference_bm25(docs, query, k1=1.5, b=0.75):
    """Okapi BM25 straight from its formula, one document at a time."""
    import math

    tokenised = [tokenize(d) for d in docs]
    average = sum(len(t) for t in tokenised) / len(docs)
    out = []
    for terms in tokenised:
        score = 0.0
        for term in set(tokenize(query)):
            tf = terms.count(term)
            if not tf:
                continue
            having = sum(term in t for t in tokenised)
            idf = math.log(1 + (len(docs) - having + 0.5) / (having + 0.5))
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(terms) / average))
        out.append(score)
    return out


def test_bm25_scores_match_the_formula():
    docs = [
        "drift drift monitoring for the ranking model",
        "population stability index PSI for drift",
        "cooking pasta",
        "monitoring dashboards and alerts for drift in a long document about many other things too",
    ]
    bm25 = BM25(docs)
    expected = _reference_bm25(docs, "drift monitoring PSI")
    assert bm25.dense_scores("drift monitoring PSI").tolist() == pytest.approx(expected, rel=1e-5)
    assert bm25.scores("drift monitoring PSI").keys() == {0, 1, 3}
    assert bm25.top("drift monitoring PSI", 2) == sorted(range(4), key=lambda i: -expected[i])[:2]


def test_bm25_empty_corpus_and_unknown_words():
    assert BM25([]).dense_scores("anything").shape == (0,)
    assert BM25(["cooking pasta"]).scores("kubernetes") == {}
    assert BM25(["cooking pasta"]).top("kubernetes", 3) == []

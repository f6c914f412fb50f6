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

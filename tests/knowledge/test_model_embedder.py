"""`search.embedder model2vec:<dir>` against the real model2vec package, with a tiny model this test builds.

nerv never downloads a model, and neither does this test: it writes a 16-dimensional static model whose
word vectors put chosen synonyms together (`flaky` ~ `unstable`), which the hashing embedder cannot
relate, so a hit proves the model's vectors were used. Skipped when model2vec is not installed.
"""

from __future__ import annotations

import os

import pytest

# huggingface_hub reads this once, when first imported; nerv sets it too, but this test imports the
# library first (to build the model), so it must hold before that import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SYNONYMS = [("flaky", "unstable", "intermittent"), ("slow", "latency", "sluggish"), ("throttle", "ratelimit")]
OTHER_WORDS = "browser tests database backups run nightly webhook deliveries page search the are on ci".split()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    pytest.importorskip("model2vec")
    import numpy as np
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    rng = np.random.default_rng(5)
    vocab, vectors = {"[UNK]": 0, "[PAD]": 1}, [np.zeros(16), np.zeros(16)]
    for group in SYNONYMS:
        base = rng.standard_normal(16)
        for word in group:
            vocab[word] = len(vocab)
            vectors.append(base + 0.05 * rng.standard_normal(16))
    for word in OTHER_WORDS:
        vocab[word] = len(vocab)
        vectors.append(rng.standard_normal(16))
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    folder = tmp_path_factory.mktemp("tiny-model2vec")
    StaticModel(np.array(vectors, dtype=np.float32), tokenizer, normalize=True).save_pretrained(str(folder))
    return folder


@pytest.fixture
def notes(cli, project):
    cli("learn", "Browser tests are flaky on CI")
    cli("learn", "Database backups run nightly")
    cli("decision", "add", "Throttle webhook deliveries")
    return cli


def _refs(result):
    return [r["ref"] for r in result.data["results"]]


def test_a_local_model2vec_model_finds_what_hashing_cannot(notes, model_dir):
    cli = notes
    assert _refs(cli("--json", "search", "unstable", "--mode", "semantic")) == []  # no shared surface
    assert cli("settings", "set", "search.embedder", f"model2vec:{model_dir}").code == 0
    result = cli("--json", "search", "unstable", "--mode", "semantic")
    assert result.code == 0, result.stderr
    assert result.data["embedder"] == f"model2vec:{model_dir}"
    assert result.data["index"]["embedded"] == 3
    assert _refs(result)[0] == "learning 1"
    assert _refs(cli("--json", "search", "ratelimit", "--mode", "semantic"))[0] == "decision 1"
    assert _refs(cli("--json", "search", "unstable"))[0] == "learning 1"  # hybrid: found by meaning alone


def test_switching_embedders_keeps_each_ones_vectors(notes, model_dir, nerv_home):
    cli = notes
    assert cli("--json", "search", "backups").data["index"]["embedded"] == 3  # hashing
    cli("settings", "set", "search.embedder", f"model2vec:{model_dir}")
    assert cli("--json", "search", "backups").data["index"]["embedded"] == 3
    cli("settings", "set", "search.embedder", "hashing")
    assert cli("--json", "search", "backups").data["index"]["embedded"] == 0
    cli("settings", "set", "search.embedder", f"model2vec:{model_dir}")
    assert cli("--json", "search", "backups").data["index"]["embedded"] == 0
    from tests.conftest import raw_connection

    conn = raw_connection(nerv_home)
    dims = dict(conn.execute("SELECT DISTINCT embedder, dim FROM embeddings").fetchall())
    conn.close()
    assert dims == {"hashing-v1-256": 256, f"model2vec:{model_dir}": 16}


@pytest.mark.slow
def test_model2vec_search_in_a_separate_process(notes, model_dir, proc):
    notes("settings", "set", "search.embedder", f"model2vec:{model_dir}")
    result = proc("--json", "search", "sluggish", "--mode", "semantic")
    assert result.code == 0, result.stderr
    assert result.data["embedder"] == f"model2vec:{model_dir}" and result.data["results"] == []
    assert proc("learn", "The search page is slow").code == 0
    found = proc("--json", "search", "sluggish", "--mode", "semantic")
    assert found.code == 0, found.stderr
    assert found.data["index"]["embedded"] == 1 and _refs(found)[0] == "learning 3"

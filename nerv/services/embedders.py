"""Text -> unit vectors. The default needs nothing but numpy; real models plug in through `search.embedder`.

`hashing` (default): signed feature hashing (Weinberger et al. 2009) of
  - word unigrams (camelCase and snake_case split, lower-cased, a small English stop list removed),
  - word bigrams (word order within a phrase),
  - character 3- and 4-grams of every word, with word-boundary marks (`<con`, `ion>`),
into DIM buckets, each feature's sign from its hash so collisions cancel on average; L2-normalised.
What it captures: shared words, shared word forms and stems (`configure` ~ `configuration` ~ `config`),
abbreviations that are prefixes (`repo`, `deps`, `auth`), typos, split or joined compounds (`time out` ~
`timeout`). What it does not: synonyms and paraphrases with no surface overlap (`car` ~ `automobile`,
`slow` ~ `latency`), negation, and anything that needs world knowledge. For that, plug a model.

`model2vec:<path-or-name>` and `sentence-transformers:<path-or-name>` load a model already on this machine
(Hugging Face offline mode is forced: nerv never downloads one).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

from nerv.numeric import np

from nerv.errors import invalid
from nerv.stopwords import STOPWORDS

DIM = 256
HASHING = "hashing"
CHAR_NGRAMS = (3, 4)
UNIGRAM_WEIGHT = 1.0
BIGRAM_WEIGHT = 0.4
CHAR_WEIGHT = 2.0  # the whole word's character n-grams together, relative to its unigram
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[^\W_]+")

def words(text: str) -> list[str]:
    """Lower-cased word tokens; camelCase is split before lower-casing."""
    text = _CAMEL.sub(" ", unicodedata.normalize("NFKC", text))
    return [w.lower() for w in _WORD.findall(text)]


def _hash(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")


class HashingEmbedder:
    """Deterministic across processes and machines (blake2b, not Python's salted hash())."""

    def __init__(self, dim: int = DIM):
        self.dim = dim
        self.name = f"{HASHING}-v1-{dim}"
        self._word_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _bucket(self, feature: str, weight: float) -> tuple[int, float]:
        h = _hash(feature)
        return h % self.dim, (weight if (h >> 40) & 1 else -weight)

    def _word_features(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        features = [self._bucket("w:" + word, UNIGRAM_WEIGHT)]
        marked = f"<{word}>"
        grams = [marked[i:i + n] for n in CHAR_NGRAMS for i in range(len(marked) - n + 1)]
        if grams:
            each = CHAR_WEIGHT / np.sqrt(len(grams))
            features += [self._bucket("c:" + gram, each) for gram in grams]
        index = np.fromiter((f[0] for f in features), dtype=np.int64, count=len(features))
        value = np.fromiter((f[1] for f in features), dtype=np.float32, count=len(features))
        if len(self._word_cache) > 200_000:
            self._word_cache.clear()
        self._word_cache[word] = (index, value)
        return index, value

    def _document(self, text: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
        tokens = [w for w in words(text) if w not in STOPWORDS]
        indexes, values = [], []
        for word in tokens:
            index, value = self._word_features(word)
            indexes.append(index)
            values.append(value)
        if len(tokens) > 1:
            bigrams = [self._bucket(f"b:{a} {b}", BIGRAM_WEIGHT) for a, b in zip(tokens, tokens[1:])]
            indexes.append(np.fromiter((b[0] for b in bigrams), dtype=np.int64, count=len(bigrams)))
            values.append(np.fromiter((b[1] for b in bigrams), dtype=np.float32, count=len(bigrams)))
        return indexes, values

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row L2-normalised (all-zero for a text without words)."""
        flat_index, flat_value = [], []
        for row, text in enumerate(texts):
            indexes, values = self._document(text)
            for index, value in zip(indexes, values):
                flat_index.append(index + row * self.dim)
                flat_value.append(value)
        size = len(texts) * self.dim
        if flat_index:
            summed = np.bincount(np.concatenate(flat_index), weights=np.concatenate(flat_value), minlength=size)
        else:
            summed = np.zeros(size)
        return normalise(summed.reshape(len(texts), self.dim).astype(np.float32))


def normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


class _ModelEmbedder:
    """A local model behind the same interface; loaded lazily, never downloaded."""

    def __init__(self, backend: str, model: str):
        self.name = f"{backend}:{model}"
        self.backend, self.model_ref = backend, model
        self._model = None
        self.dim = self._load_dim()

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                if self.backend == "model2vec":
                    from model2vec import StaticModel

                    self._model = StaticModel.from_pretrained(self.model_ref)
                else:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(self.model_ref, local_files_only=True)
            except ImportError:
                raise invalid(f"search.embedder is {self.name!r} but the {self.backend} package is not installed",
                              f"install it, or `nerv settings set search.embedder {HASHING}`") from None
            except Exception as exc:  # each library reports a missing model its own way
                raise invalid(f"cannot load {self.name!r} locally: {type(exc).__name__}: {str(exc)[:200]}",
                              "nerv never downloads models: point the setting at a model on this machine") from None
        return self._model

    def _load_dim(self) -> int:
        return int(self.embed(["dimension probe"]).shape[1])

    def embed(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if self.backend == "model2vec":
            vectors = model.encode(texts)
        else:
            vectors = model.encode(texts, convert_to_numpy=True, show_progress_bar=False)
        return normalise(np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1).copy())


# One instance per setting value for the life of the process: a long-lived caller (a server, the bench)
# keeps the hashing embedder's word cache (a word is hashed once, not on every query) and loads a model once.
_loaded: dict[str, object] = {}


def get_embedder(setting: str | None):
    """The embedder a `search.embedder` value names. Raises invalid for an unknown or unusable one."""
    value = (setting or HASHING).strip()
    if value not in _loaded:
        _loaded[value] = _make_embedder(value)
    return _loaded[value]


def _make_embedder(value: str):
    if value == HASHING:
        return HashingEmbedder()
    backend, _, model = value.partition(":")
    if backend in ("model2vec", "sentence-transformers") and model.strip():
        return _ModelEmbedder(backend, model.strip())
    raise invalid(f"unknown search.embedder {value!r}",
                  "use `hashing`, `model2vec:<local path or name>` or `sentence-transformers:<local path or name>`")

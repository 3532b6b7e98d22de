"""English function words, which say little about what a text is about. Stdlib only (the FTS query path uses it).

The hashing embedder leaves them out of its features; the full-text query leaves them out of its terms,
because BM25 gives a word found in most items almost no weight anyway while ranking every item that
holds it: in real notes `the` matches nearly everything, and scoring 100,000 matches costs ~0.2 s.
"""

STOPWORDS = frozenset(
    "a an the and or but if then else of to in on at by for with from into onto about as is are was were be been "
    "being it its this that these those there here we you they he she i me my our your their them us do does did "
    "done have has had having can could should would will shall may might must not no so than too very just also "
    "what which who whom whose when where why how all any both each few more most other some such only own same "
    "out up down over under again further once".split())

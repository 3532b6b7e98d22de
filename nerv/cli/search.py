"""`nerv search QUERY` and `nerv search reindex` (docs/search.md)."""

from __future__ import annotations

from typing import List, Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import CURRENT, project_option

REINDEX = "reindex"


def register(root: typer.Typer) -> None:
    # A query word may start with a dash (`nerv search -sqlite`): unknown options are query text.
    root.command("search", context_settings={"ignore_unknown_options": True})(search)


def search(
    query: List[str] = typer.Argument(..., help="Words to look for (quotes optional). "
                                                "`nerv search reindex` alone rebuilds the indexes."),
    kinds: Optional[List[str]] = typer.Option(None, "--kind", help="decision, learning, task or handoff "
                                                                   "(repeatable; default: all)."),
    mode: Optional[str] = typer.Option(None, "--mode", help="text (BM25), semantic (embeddings) or hybrid "
                                                            "(both, rank-fused; the default)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="At most this many results (default 10)."),
    project: Optional[str] = project_option(CURRENT + "; every project when there is none"),
) -> None:
    """Find decisions, learnings, tasks and handoffs by words or by meaning."""
    from nerv.services import search as service

    if query == [REINDEX] and kinds is None and mode is None and limit is None and project is None:
        data = service.reindex(_ctx.store(), progress=out.progress)
        out.emit(data, lambda d: out.message(
            f"reindexed {d['items']} items ({d['added']} added, {d['changed']} changed, {d['removed']} removed); "
            f"{d['embedded']} embedded with {d['embedder']}"))
        return
    data = service.search(_ctx.store(), " ".join(query), kinds=kinds, mode=mode or "hybrid",
                          limit=10 if limit is None else limit, project=project)

    def human(d: dict) -> None:
        cache = d["index"].get("cache") or ""
        if cache.startswith("rebuilt (") and "stale" not in cache:
            out.warn(f"the cached vector matrix was {cache[9:-1]}; rebuilt it")
        if d.get("note"):
            out.warn(d["note"])
        out.table([{**r, "what": f"{r['title']} — {r['excerpt']}" if r["title"] else r["excerpt"],
                    "by": "+".join(r["matched_by"])} for r in d["results"]],
                  ["rank", "ref", "what", "by"], headers={"rank": "#"},
                  empty=f"nothing found for {d['query']!r}")

    out.emit(data, human)

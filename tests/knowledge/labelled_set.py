"""A labelled retrieval set for nerv search: 64 items of a made-up web project and 48 queries with their
expected hits. Shared by tests/knowledge/test_search_quality.py and tests/bench/search.py.

The queries were written the way an agent or a person asks, before any tuning: some share the target's
words, many use another word form, an abbreviation or a paraphrase, and a few share no word at all
(`unstable` for `flaky`), which no lexical method can find.
"""

from __future__ import annotations

# key: (kind, title, text). Tasks and decisions use the title; learnings and handoffs are text only.
ITEMS: dict[str, tuple[str, str, str]] = {
    "d_sqlite": ("decision", "Use SQLite in WAL mode for the state store",
                 "Many agents write concurrently from hooks; a server database would need a daemon. SQLite with "
                 "write-ahead logging gives concurrent readers and one writer."),
    "d_uuid": ("decision", "Identify rows with random UUIDs instead of autoincrement integers",
               "Exports from several machines must merge without id clashes."),
    "d_typer": ("decision", "Build the command line with Typer",
                "Type hints double as argument parsing; click underneath is mature."),
    "d_jwt": ("decision", "Authenticate API clients with short-lived JWT access tokens",
              "Sessions in the database do not scale across replicas; refresh tokens rotate every day."),
    "d_monorepo": ("decision", "Keep the web app and the worker in one monorepository",
                   "Shared models change together; separate repositories caused version skew."),
    "d_retry": ("decision", "Retry failed webhook deliveries with exponential backoff and jitter",
                "Receivers go down for minutes; fixed intervals caused thundering herds."),
    "d_ruff": ("decision", "Lint and format Python with ruff", "Replaces flake8, isort and black with one fast tool."),
    "d_feature_flags": ("decision", "Ship unfinished features behind feature flags",
                        "Long-lived branches drift; flags let us merge daily and switch on per customer."),
    "d_utc": ("decision", "Store every timestamp in UTC as ISO-8601 text",
              "Local times broke sorting around daylight saving changes."),
    "d_pagination": ("decision", "Paginate list endpoints with opaque cursors, not offsets",
                     "Offsets skip or repeat rows when items are inserted while a client pages."),
    "d_s3": ("decision", "Keep uploaded attachments in object storage, not in the database",
             "Blobs bloated backups; S3-compatible storage is cheap and streams."),
    "d_otel": ("decision", "Instrument services with OpenTelemetry traces",
               "We need request timing across the API, the queue and the worker."),
    "d_python311": ("decision", "Require Python 3.11 or newer",
                    "Faster interpreter, exception groups, tomllib in the standard library."),
    "d_semver": ("decision", "Version releases with semantic versioning and a changelog",
                 "Users pin minor versions; breaking changes need a major bump."),
    "d_queue": ("decision", "Process background jobs with a Redis-backed queue",
                "Email sending and report generation must not block web requests."),
    "d_i18n": ("decision", "Translate the interface with gettext catalogs",
               "Customers in Germany and Japan asked for localized screens."),
    "l_wal_sync": ("learning", "", "With WAL, synchronous=NORMAL is durable across application crashes and much "
                                   "faster than FULL."),
    "l_busy": ("learning", "", "SQLITE_BUSY errors disappeared once every write transaction started with "
                               "BEGIN IMMEDIATE."),
    "l_flaky_tz": ("learning", "", "The flaky test in reports failed only when CI ran near midnight UTC: it compared "
                                   "dates in local time."),
    "l_pip_cache": ("learning", "", "Caching the pip wheel directory in CI cut the pipeline from 9 to 4 minutes."),
    "l_mmap": ("learning", "", "numpy.load with mmap_mode='r' opens a 200 MB matrix instantly; pages load on first "
                               "touch."),
    "l_typer_import": ("learning", "", "Importing typer costs about 55 ms at startup, so heavy modules must be "
                                       "imported lazily inside commands."),
    "l_docker_layers": ("learning", "", "Copy requirements.txt before the source in the Dockerfile so dependency "
                                        "layers stay cached."),
    "l_jwt_clock": ("learning", "", "Token validation failed on one replica because its clock drifted; allow 30 "
                                    "seconds of leeway."),
    "l_n_plus_one": ("learning", "", "The orders page issued one query per row; prefetching customers removed 400 "
                                     "queries."),
    "l_regex_dos": ("learning", "", "A user-supplied regular expression froze the worker: catastrophic "
                                    "backtracking. Use timeouts or re2."),
    "l_utf8_csv": ("learning", "", "Excel opens CSV exports correctly only with a UTF-8 byte order mark."),
    "l_git_lfs": ("learning", "", "Large test fixtures belong in Git LFS; cloning took ten minutes before."),
    "l_rate_limit": ("learning", "", "The payments provider throttles at 100 requests per second; we hit 429 "
                                     "responses during the nightly batch."),
    "l_hypothesis": ("learning", "", "Property-based tests with Hypothesis found an off-by-one in the pagination "
                                     "cursor."),
    "l_env_leak": ("learning", "", "Secrets leaked into logs because the config loader printed the whole "
                                   "environment at debug level."),
    "l_dns_ttl": ("learning", "", "Failover took fifteen minutes because the DNS record had a one-hour TTL."),
    "l_pytest_xdist": ("learning", "", "Running pytest with xdist halved test time but broke tests sharing one "
                                       "temporary database."),
    "l_memory_leak": ("learning", "", "The worker's memory grew until OOM-kill: an unbounded in-process cache keyed "
                                      "by request id."),
    "l_index_order": ("learning", "", "A composite index only helps when the query filters on its leading column."),
    "l_webhook_sig": ("learning", "", "Verify webhook signatures over the raw request body, before JSON parsing "
                                      "reorders keys."),
    "t_login_redirect": ("task", "Fix login redirect loop", "After signing in, users are sent back to the sign-in "
                                                            "page when the session cookie lacks SameSite."),
    "t_export_csv": ("task", "Export invoices as CSV", "Accounting wants a monthly spreadsheet of invoices with "
                                                       "totals and tax."),
    "t_dark_mode": ("task", "Add a dark theme to the dashboard", "Respect the operating system's color scheme "
                                                                 "preference."),
    "t_upgrade_django": ("task", "Upgrade Django from 4.2 to 5.1", "Fix deprecation warnings first; check "
                                                                   "third-party packages."),
    "t_slow_search": ("task", "Speed up the product search page", "p95 latency is 2.3 seconds; add an index and "
                                                                  "cache popular queries."),
    "t_password_reset": ("task", "Implement password reset by email", "Send a one-time link valid for 30 minutes."),
    "t_backup_restore": ("task", "Automate nightly database backups and test restores",
                         "Backups are useless until a restore is rehearsed."),
    "t_onboarding_docs": ("task", "Write onboarding documentation for new contributors",
                          "How to set up the dev environment, run tests and open a pull request."),
    "t_rate_limiter": ("task", "Throttle API clients that send too many requests",
                       "Return 429 with Retry-After when a key exceeds its quota."),
    "t_mobile_layout": ("task", "Make the checkout responsive on phones", "Buttons overflow on narrow screens."),
    "t_audit_trail": ("task", "Record who changed what in an audit trail",
                      "Admins must see every change to permissions with actor and time."),
    "t_flaky_ci": ("task", "Stabilise the flaky end-to-end tests in CI",
                   "Browser tests time out randomly on the shared runners."),
    "t_image_resize": ("task", "Generate thumbnails for uploaded images", "Resize to three widths in the background "
                                                                          "worker."),
    "t_gdpr_delete": ("task", "Let users delete their account and personal data",
                      "Required by GDPR: erase within 30 days, keep invoices anonymised."),
    "t_notifications": ("task", "Send push notifications when an order ships",
                        "Mobile app users who opted in want delivery updates."),
    "t_sso": ("task", "Support single sign-on with SAML for enterprise customers",
              "Okta and Azure AD are the first identity providers."),
    "t_metrics_dashboard": ("task", "Build a Grafana dashboard for queue depth and job latency",
                            "On-call needs to see backlog growth early."),
    "t_dependency_bump": ("task", "Update outdated dependencies and pin them",
                          "Renovate opened 40 pull requests; batch the safe ones."),
    "t_timezone_bug": ("task", "Show appointment times in the customer's own timezone",
                       "Times are displayed in server time today."),
    "t_cli_completion": ("task", "Add shell completion for bash, zsh and fish", "Typer can generate completion "
                                                                                "scripts."),
    "h_migration": ("handoff", "", "Stopped halfway through the schema migration for the orders table; the new "
                                   "column is added but not backfilled. Next: backfill in batches of 10k."),
    "h_perf": ("handoff", "", "Profiled the search endpoint: 70% of time is in serialising results; orjson was "
                              "2x faster. Next: replace json dumps in the views."),
    "h_sso": ("handoff", "", "SAML login works against the Okta sandbox; Azure AD metadata parsing fails on the "
                             "signing certificate."),
    "h_flaky": ("handoff", "", "Reproduced the flaky browser test locally with CPU throttling; the wait for the "
                               "spinner is too short."),
    "h_backup": ("handoff", "", "Backup script uploads to the bucket; the restore script still lacks the WAL replay "
                                "step."),
    "h_docs": ("handoff", "", "Drafted the contributor guide up to the testing section; screenshots still to do."),
    "h_csv": ("handoff", "", "CSV export endpoint returns data; the totals row and tax column remain."),
    "h_notifications": ("handoff", "", "Registered the device tokens table; sending through FCM is not wired yet."),
}

QUERIES: list[tuple[str, set[str]]] = [
    ("sqlite write ahead log", {"d_sqlite", "l_wal_sync"}),
    ("webhook retries backoff", {"d_retry"}),
    ("password reset email link", {"t_password_reset"}),
    ("csv export invoices", {"t_export_csv", "h_csv"}),
    ("SAML single sign-on", {"t_sso", "h_sso"}),
    ("dark theme", {"t_dark_mode"}),
    ("db locked errors with concurrent writers", {"l_busy", "d_sqlite"}),
    ("how do we authenticate api calls", {"d_jwt"}),
    ("timestamps timezone handling", {"d_utc", "t_timezone_bug"}),
    ("why is startup slow", {"l_typer_import"}),
    ("throttling clients", {"t_rate_limiter", "l_rate_limit"}),
    ("config secrets printed in logs", {"l_env_leak"}),
    ("repo layout for web app and worker", {"d_monorepo"}),
    ("deps upgrade", {"t_dependency_bump", "t_upgrade_django"}),
    ("perf profiling of search", {"h_perf", "t_slow_search"}),
    ("memory keeps growing in the worker", {"l_memory_leak"}),
    ("offset pagination problems", {"d_pagination", "l_hypothesis"}),
    ("thumbnail generation for uploads", {"t_image_resize"}),
    ("translations localisation", {"d_i18n"}),
    ("object storage for attachments", {"d_s3"}),
    ("tracing requests across services", {"d_otel"}),
    ("erase personal data gdpr", {"t_gdpr_delete"}),
    ("push notification for shipped orders", {"t_notifications", "h_notifications"}),
    ("dockerfile build cache", {"l_docker_layers"}),
    ("clock skew token validation", {"l_jwt_clock"}),
    ("where did the orders migration stop", {"h_migration"}),
    ("backfill column", {"h_migration"}),
    ("restore rehearsal backups", {"t_backup_restore", "h_backup"}),
    ("contributor guide", {"t_onboarding_docs", "h_docs"}),
    ("regex hangs the worker", {"l_regex_dos"}),
    ("enterprise login okta", {"t_sso", "h_sso"}),
    ("linting formatter", {"d_ruff"}),
    ("n+1 queries", {"l_n_plus_one"}),
    ("autocomplete in the shell", {"t_cli_completion"}),
    ("semver changelog", {"d_semver"}),
    ("ids merge across machines", {"d_uuid"}),
    ("feature toggles", {"d_feature_flags"}),
    ("e2e tests unstable", {"t_flaky_ci", "h_flaky"}),
    ("composite index leading column", {"l_index_order"}),
    ("BOM for excel", {"l_utf8_csv"}),
    ("serialization is slow", {"h_perf"}),
    ("auto-increment ids", {"d_uuid"}),
    ("setup of the dev env", {"t_onboarding_docs"}),
    ("prefetch related rows", {"l_n_plus_one"}),
    ("ratelimit", {"t_rate_limiter", "l_rate_limit"}),
    ("auth token expiry", {"d_jwt", "l_jwt_clock"}),
    ("timezone-aware datetimes", {"d_utc", "t_timezone_bug"}),
    ("one repo or many repos", {"d_monorepo"}),
]


def load(store, project: str) -> dict[str, str]:
    """Insert every item through nerv's services; returns item id -> labelled key."""
    from nerv.services import decisions, handoffs, learnings, tasks

    keys = {}
    for key, (kind, title, text) in ITEMS.items():
        if kind == "decision":
            row = decisions.add_decision(store, title, decision=text, project=project)
        elif kind == "learning":
            row = learnings.add_learning(store, text, project=project)
        elif kind == "task":
            row = tasks.add_task(store, title, description=text, project=project)
        else:
            row = handoffs.save_handoff(store, text, project=project)
        keys[row["id"]] = key
    return keys


def evaluate(store, keys: dict[str, str], mode: str, k: int = 5, project: str | None = None) -> dict:
    """recall@k (share of expected items in the top k, averaged over queries) and MRR over the top 10."""
    from nerv.services import search

    recall_sum, reciprocal_sum = 0.0, 0.0
    for query, expected in QUERIES:
        results = search.search(store, query, mode=mode, limit=10, project=project)["results"]
        ranked = [keys.get(r["id"]) for r in results]
        recall_sum += len(expected & set(ranked[:k])) / len(expected)
        first = next((rank for rank, key in enumerate(ranked, start=1) if key in expected), None)
        reciprocal_sum += 1.0 / first if first else 0.0
    return {"mode": mode, f"recall@{k}": recall_sum / len(QUERIES), "mrr": reciprocal_sum / len(QUERIES)}

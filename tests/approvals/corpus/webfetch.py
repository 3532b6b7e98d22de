"""WebFetch domain rules against the WHATWG host of the URL. Each host in a cite is what node 20 gives for
new URL(url).hostname (run on this machine); null = new URL throws."""

from __future__ import annotations

from ._helpers import (ALLOW, ASK, DENY, NONE, NOT_ALLOW, ORDER, WEBFETCH, WEBFETCH_LABEL, WEBFETCH_STAR,
                       WEBFETCH_SUB, WHATWG, fetch, rules)

W = rules(allow=["WebFetch(domain:docs.example.com)", "WebFetch(domain:*.trusted.com)", "WebFetch(domain:example.*)"],
          deny=["WebFetch(domain:evil.test)", "WebFetch(domain:127.0.0.1)"],
          ask=["WebFetch(domain:*.internal.test)"])


def host(name) -> str:
    return f"{WHATWG}: host {name}" if name is not None else f"{WHATWG}: new URL throws"


ROWS = [
    # (url, expectation, node's hostname, why)
    ("https://docs.example.com/a", ALLOW, "docs.example.com", WEBFETCH),
    ("https://DOCS.EXAMPLE.COM/a", ALLOW, "docs.example.com", WEBFETCH + " -- case-insensitive"),
    ("https://docs.example.com./a", ALLOW, "docs.example.com.", WEBFETCH + " -- 'strips a trailing .'"),
    ("http://docs.example.com/", ALLOW, "docs.example.com", WEBFETCH + " -- the scheme is not the host"),
    ("https://docs.example.com:8443/", ALLOW, "docs.example.com", WEBFETCH + " -- the port is not the host"),
    ("https://user:pass@docs.example.com/", ALLOW, "docs.example.com", WEBFETCH + " -- userinfo is not the host"),
    ("https://evil.test\\@docs.example.com/", DENY, "evil.test", "bypass: a backslash is a slash in WHATWG URLs (Python's urlsplit says docs.example.com)"),
    ("https://evil.test\\\\@docs.example.com/", DENY, "evil.test", "bypass: a backslash is a slash in WHATWG URLs"),
    ("https://docs.example.com@evil.test/", DENY, "evil.test", "bypass: the allowed name as userinfo"),
    ("https://docs.example.com:pass@evil.test/", DENY, "evil.test", "bypass: the allowed name as userinfo with a password"),
    ("https://evil.test#@docs.example.com/", DENY, "evil.test", "bypass: the allowed name after a fragment"),
    ("https://evil.test?@docs.example.com/", DENY, "evil.test", "bypass: the allowed name after a query"),
    ("https://evil.test/@docs.example.com/", DENY, "evil.test", "bypass: the allowed name in the path"),
    ("https://evil.test%5c@docs.example.com/", ALLOW, "docs.example.com", WHATWG + " -- %5c in userinfo stays userinfo: the host is the allowed one"),
    ("https://docs.example.com%5c@evil.test/", DENY, "evil.test", "bypass: the allowed name as userinfo with %5c"),
    ("https://docs.example.com\\.evil.test/", ALLOW, "docs.example.com", WHATWG + " -- the backslash ends the host; .evil.test is the path"),
    ("https://docs%2eexample%2ecom/", ALLOW, "docs.example.com", WHATWG + " -- %2e in a host is a dot"),
    ("https://evil%2etest/", DENY, "evil.test", "bypass: a percent-encoded dot in the host"),
    ("https://evil%2Etest/x", DENY, "evil.test", "bypass: a percent-encoded dot in the host"),
    ("https://docs\u3002example\u3002com/", ALLOW, "docs.example.com", WHATWG + " -- U+3002 ideographic full stop is a dot"),
    ("https://docs\uff0eexample\uff0ecom/", ALLOW, "docs.example.com", WHATWG + " -- U+FF0E fullwidth full stop is a dot"),
    ("https://evil\u3002test/", DENY, "evil.test", "bypass: an ideographic full stop in the host"),
    ("https://\uff44\uff4f\uff43\uff53.example.com/", ALLOW, "docs.example.com", WHATWG + " -- fullwidth letters map to ASCII"),
    ("https://\uff45\uff56\uff49\uff4c.test/", DENY, "evil.test", "bypass: fullwidth letters in the host"),
    ("https://evil.test\u200b/", DENY, "evil.test", "bypass: a zero-width space, removed by IDNA mapping"),
    ("https://ev\u00adil.test/", DENY, "evil.test", "bypass: a soft hyphen, removed by IDNA mapping"),
    ("https://docs.exa\tmple.com/", ALLOW, "docs.example.com", WHATWG + " -- tabs and newlines are removed from URLs"),
    ("https://ev\nil.test/", DENY, "evil.test", "bypass: a newline inside the host, removed by the URL parser"),
    ("  https://evil.test/  ", DENY, "evil.test", "bypass: blanks around the URL are trimmed"),
    ("HTTPS://EVIL.TEST/", DENY, "evil.test", WEBFETCH + " -- case-insensitive"),
    ("https://evil.test./", DENY, "evil.test.", WEBFETCH + " -- 'strips a trailing . from both the rule and the hostname'"),
    ("https:evil.test/", DENY, "evil.test", "bypass: a special scheme without slashes still has a host"),
    ("https:/evil.test/", DENY, "evil.test", "bypass: one slash after a special scheme"),
    ("https:\\\\evil.test/", DENY, "evil.test", "bypass: backslashes after the scheme"),
    ("https://docs.example.com.evil.test/", NOT_ALLOW, "docs.example.com.evil.test", WEBFETCH + " -- a longer host is another host"),
    ("https://d\u043ecs.example.com/", NOT_ALLOW, "xn--dcs-sed.example.com", WHATWG + " -- a Cyrillic o is punycode, another host"),
    ("https://e\u0301vil.test/", NOT_ALLOW, "xn--vil-9la.test", WHATWG + " -- e + combining acute is NFC é, another host"),
    ("https://EV\u0130L.test/", NOT_ALLOW, "xn--evil-swc.test", WHATWG + " -- a dotted capital I is not I"),
    ("https://docs.example.com%00.evil.test/", NONE, None, WHATWG + " -- an invalid URL has no host to match"),
    ("docs.example.com/x", NONE, None, WHATWG + " -- no scheme, no URL"),
    ("//evil.test/", NONE, None, WHATWG + " -- no scheme, no URL"),
    ("javascript:alert(1)", NONE, "", WHATWG + " -- no host"),
    ("file:///etc/passwd", NONE, "", WHATWG + " -- no host"),
    ("http://2130706433/", DENY, "127.0.0.1", "bypass: an IPv4 address as one decimal number"),
    ("http://0x7f000001/", DENY, "127.0.0.1", "bypass: an IPv4 address in hex"),
    ("http://0177.0.0.1/", DENY, "127.0.0.1", "bypass: an octal IPv4 part"),
    ("http://127.1/", DENY, "127.0.0.1", "bypass: a short IPv4 form"),
    ("http://0x7f.1/", DENY, "127.0.0.1", "bypass: a hex short IPv4 form"),
    ("http://127.0.0.1:8080/", DENY, "127.0.0.1", WEBFETCH),
    ("http://[::1]/", NOT_ALLOW, "[::1]", WHATWG + " -- another address than 127.0.0.1"),
    ("https://a.b.trusted.com/", ALLOW, "a.b.trusted.com", WEBFETCH_SUB),
    ("https://x.TRUSTED.com/", ALLOW, "x.trusted.com", WEBFETCH_SUB + "; case-insensitive"),
    ("https://trusted.com/", NOT_ALLOW, "trusted.com", WEBFETCH_SUB + " -- 'but not example.com itself'"),
    ("https://eviltrusted.com/", NOT_ALLOW, "eviltrusted.com", WEBFETCH_SUB + " -- a subdomain, not a suffix"),
    ("https://trusted.com.evil.test/", NOT_ALLOW, "trusted.com.evil.test", WEBFETCH_SUB),
    ("https://api.internal.test/", ASK, "api.internal.test", WEBFETCH_SUB + " -- ask"),
    ("https://example.org/", ALLOW, "example.org", WEBFETCH_LABEL),
    ("https://EXAMPLE.ORG./", ALLOW, "example.org.", WEBFETCH_LABEL + "; trailing dot"),
    ("https://example.evil.com/", NOT_ALLOW, "example.evil.com", WEBFETCH_LABEL),
    ("https://example.co.uk/", NOT_ALLOW, "example.co.uk", WEBFETCH_LABEL + " -- * would have to cross a dot"),
    ("https://www.example.org/", NOT_ALLOW, "www.example.org", WEBFETCH_LABEL),
    ("https://example/", NOT_ALLOW, "example", WEBFETCH_LABEL + " -- no label for *"),
    (None, NONE, None, "permissions#webfetch: no URL, nothing to match"),
]

CASES = [fetch(f"webfetch-{index}", url, expect, why + (f" ({host(name)})" if url is not None else ""), W)
         for index, (url, expect, name, why) in enumerate(ROWS, start=1)]

CASES += [
    fetch("webfetch-star-allow", "https://anything.example.net/", ALLOW, WEBFETCH_STAR, rules(allow=["WebFetch(domain:*)"])),
    fetch("webfetch-star-deny-wins", "https://docs.example.com/", DENY, WEBFETCH_STAR + "; " + ORDER,
          rules(allow=["WebFetch(domain:docs.example.com)"], deny=["WebFetch(domain:*)"])),
    fetch("webfetch-bare-allow", "https://anything.example.net/", ALLOW, "permissions#match-all-uses-of-a-tool: 'WebFetch Matches all web fetch requests'", rules(allow=["WebFetch"])),
    fetch("webfetch-bare-deny", "https://docs.example.com/", DENY, "permissions#match-all-uses-of-a-tool", rules(deny=["WebFetch"], allow=["WebFetch(domain:docs.example.com)"])),
    fetch("webfetch-rule-case", "https://evil.test/", DENY, WEBFETCH + " -- the rule's case does not matter", rules(deny=["WebFetch(domain:EVIL.TEST)"])),
    fetch("webfetch-rule-dot", "https://evil.test/", DENY, WEBFETCH + " -- the rule's trailing dot is stripped", rules(deny=["WebFetch(domain:evil.test.)"])),
    fetch("webfetch-mid-label", "https://api-v2.example.com/", ALLOW, WEBFETCH_LABEL + " -- * inside a label", rules(allow=["WebFetch(domain:api-*.example.com)"])),
    fetch("webfetch-mid-label-dot", "https://api-a.b.example.com/", NOT_ALLOW, WEBFETCH_LABEL + " -- the wildcard does not cross a dot", rules(allow=["WebFetch(domain:api-*.example.com)"])),
    fetch("webfetch-sub-deny", "https://a.b.evil.test/", DENY, WEBFETCH_SUB, rules(deny=["WebFetch(domain:*.evil.test)"], allow=["WebFetch"])),
    fetch("webfetch-sub-deny-apex", "https://evil.test/", ALLOW, WEBFETCH_SUB + " -- the apex is not a subdomain; the bare allow applies", rules(deny=["WebFetch(domain:*.evil.test)"], allow=["WebFetch"])),
    fetch("webfetch-punycode-rule", "https://d\u043ecs.example.com/", ALLOW, WHATWG + " -- a rule in punycode matches the IDN host", rules(allow=["WebFetch(domain:xn--dcs-sed.example.com)"])),
]

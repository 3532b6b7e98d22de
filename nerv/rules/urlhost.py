"""The host of a WebFetch URL exactly as Claude Code sees it: Node's `new URL(url).hostname`. Stdlib only.

Claude Code parses WebFetch URLs with the WHATWG `URL` class of Node (the Ada library), and its
`WebFetch(domain:…)` rules are matched against that `hostname`. `urllib.parse` is not a WHATWG parser
(`https://evil.test\\@docs.example.com/` goes to evil.test, urllib says docs.example.com), so this module
follows the WHATWG URL Standard's "basic URL parser" as far as the host, then its "host parsing":
percent-decoding, "domain to ASCII" (UTS #46 with nontransitional processing), the "IPv4 parser" and the
"IPv6 parser" with their serialisers.

`url_host(url)` returns `(host, certain)`. `certain` is False wherever this code cannot vouch that its
answer is Node's, of any version: UTS #46 data this stdlib derivation may not know (code points newer
than Unicode 3.2, or whose IDNA status has moved between Unicode versions), bidi and joiner rules (which
Ada implements differently from the standard, and differently between versions), `xn--` labels that
the standard and Ada versions treat differently, Zod's trimming, over-long hosts. Where versions
disagree and some of them throw, the host given is the one the others would fetch. Callers may use any
host for deny/ask rules, but only a certain one may satisfy an allow rule.

Import cost is a few frozensets and no module: `unicodedata` is imported only for hosts with non-ASCII
code points or `xn--` labels.
"""

from __future__ import annotations

__all__ = ["url_host"]

# URL Standard, "special scheme": only these get host parsing proper (and `\` as `/`).
_SPECIAL_SCHEMES = frozenset(("ftp", "file", "http", "https", "ws", "wss"))

_ASCII_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_HEX = frozenset("0123456789abcdefABCDEF")
_SCHEME_CHARS = _ASCII_ALPHA | _ASCII_DIGITS | frozenset("+-.")

# "basic URL parser" steps 1-3: strip leading/trailing C0 control or space, remove tab and newlines.
_C0_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
_DROP_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")

# "forbidden host code point" and "forbidden domain code point" (URL Standard, "Hosts (domains and
# IP addresses)").
_FORBIDDEN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|")
_FORBIDDEN_DOMAIN = _FORBIDDEN_HOST | frozenset(map(chr, range(0x20))) | frozenset("%\x7f")

# What JavaScript's String.prototype.trim removes (WhiteSpace and LineTerminator). Zod's `.url()`, which
# Claude Code's WebFetch input schema uses, trims with it before `new URL`; WHATWG strips only C0/space.
_JS_WHITESPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" \
                 "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

# No DNS name is longer than 253 octets, so nothing is ever fetched from a longer host; and Ada refuses
# domains of more than 16384 bytes since 3.x, but not before. Past this bound hosts are not vouched for,
# and UTS #46 (whose punycode step is quadratic) is not run: such a domain gives None.
_LONG_HOST = 1024


def url_host(url) -> tuple[str | None, bool]:
    """`(hostname, certain)`: Node's `new URL(url).hostname`, or None where it throws or has no host.

    The hostname is lowercase ASCII (punycode for IDNs), an IPv4 address in dotted decimal, or an IPv6
    address in brackets as Node serialises it (`[::1]`). A trailing dot stays (`example.com.`), as in
    Node. `certain` is False when Node (of some version) might answer differently; the host is then
    a best effort, preferring the one a Node that does not throw would fetch.
    """
    if not isinstance(url, str):
        return None, True  # Claude Code's input schema rejects a non-string url: nothing is fetched
    host, certain = _hostname(url)
    if url and (url[0] in _JS_WHITESPACE or url[-1] in _JS_WHITESPACE):
        # Zod 4 (Claude Code's input schema) trims JavaScript whitespace before `new URL`, and WHATWG
        # strips only C0 controls and space: `\u00a0https://evil.test/` throws in `new URL` but passes
        # the schema as `https://evil.test/`. Which string Claude Code fetches depends on its Zod, so
        # where the two differ the answer is not vouched for, and it is the host that is fetched.
        trimmed_host, _ = _hostname(url.strip(_JS_WHITESPACE))
        if trimmed_host != host:
            return (trimmed_host if host is None else host), False
    return host, certain


def _hostname(url: str) -> tuple[str | None, bool]:
    """The "basic URL parser" (no base URL, no state override), run only until the host is known."""
    url = _scalar_values(url).strip(_C0_CONTROL_OR_SPACE).translate(_DROP_TAB_OR_NEWLINE)
    scheme, rest = _split_scheme(url)
    if scheme is None:
        return None, True  # "no scheme state" with a null base URL: failure (so `docs.example.com/x`)
    if scheme == "file":
        return _file_host(rest)
    special = scheme in _SPECIAL_SCHEMES
    if special:
        # "special authority slashes state" and "special authority ignore slashes state": any run of
        # `/` and `\` (even none: `http:docs.example.com`) leads to the authority.
        rest = rest.lstrip("/\\")
    elif rest.startswith("//"):
        rest = rest[2:]  # "path or authority state" reached with `//`
    else:
        return None, True  # no authority: the host is null and Node's hostname is ""
    return _authority_host(rest, special)


def _scalar_values(url: str) -> str:
    """The string as a JavaScript USVString: lone surrogates (possible in JSON input) become U+FFFD."""
    if url.isascii():
        return url
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:
        return url.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return url


def _split_scheme(url: str) -> tuple[str | None, str]:
    """"scheme start state" and "scheme state": an ASCII alpha, then alphanumerics, `+-.`, then `:`."""
    if not url or url[0] not in _ASCII_ALPHA:
        return None, ""
    colon = url.find(":")
    if colon < 0 or not _SCHEME_CHARS.issuperset(url[1:colon]):
        return None, ""
    return url[:colon].lower(), url[colon + 1:]


def _authority_host(rest: str, special: bool) -> tuple[str | None, bool]:
    """"authority state", "host state" and "port state": the host after the last `@`, before the port."""
    end = _first_of(rest, "/?#\\" if special else "/?#")
    authority = rest[:end]
    at = authority.rfind("@")
    if at >= 0:
        authority = authority[at + 1:]
        if not authority:
            return None, True  # credentials but no host: "host-missing" failure
    host, port = _split_port(authority)
    if host == "" and (special or port is not None):
        return None, True  # "host-missing" failure (`https://:443/`, `https://`)
    if port and (not _ASCII_DIGITS.issuperset(port) or int(port.lstrip("0")[:6] or "0") > 65535):
        return None, True  # "port state": anything but digits, or a port past 65535, is failure
    if host == "":
        return None, True  # a non-special URL with an empty host: Node's hostname is ""
    return _parse_host(host, special)


def _first_of(text: str, stops: str) -> int:
    return min((i for i in map(text.find, stops) if i >= 0), default=len(text))


def _split_port(authority: str) -> tuple[str, str | None]:
    """"host state": the first `:` outside `[...]` ends the host and starts the port."""
    if "[" not in authority:
        colon = authority.find(":")
        return (authority, None) if colon < 0 else (authority[:colon], authority[colon + 1:])
    inside_brackets = False
    for i, c in enumerate(authority):
        if c == ":" and not inside_brackets:
            return authority[:i], authority[i + 1:]
        if c == "[":
            inside_brackets = True
        elif c == "]":
            inside_brackets = False
    return authority, None


def _file_host(rest: str) -> tuple[str | None, bool]:
    """"file state", "file slash state" and "file host state": `file://host/` may name a host."""
    if len(rest) < 2 or rest[0] not in "/\\" or rest[1] not in "/\\":
        return None, True  # no `//` (either slash): path only, the host is ""
    rest = rest[2:]
    buffer = rest[:_first_of(rest, "/\\?#")]
    if buffer == "" or (len(buffer) == 2 and buffer[0] in _ASCII_ALPHA and buffer[1] in ":|"):
        return None, True  # empty host, or the Windows drive letter quirk (`file://c:/x`)
    host, certain = _parse_host(buffer, True)
    return (None if host == "localhost" else host), certain


# ---------------------------------------------------------------------------------------------------
# "host parsing"


def _parse_host(text: str, special: bool) -> tuple[str | None, bool]:
    """The "host parser": IPv6 in brackets, an opaque host for non-special schemes, else a domain."""
    if text.startswith("["):
        if not text.endswith("]"):
            return None, True
        return _ipv6_host(text[1:-1]), True
    if not special:
        return _opaque_host(text), True
    domain = _percent_decode_utf8(text)
    if len(domain) <= _LONG_HOST:
        ascii_domain, certain = _domain_to_ascii(domain)
    else:
        ascii_domain, certain = _plain_ascii_domain(domain), False
    if ascii_domain is None or ascii_domain == "" or not _FORBIDDEN_DOMAIN.isdisjoint(ascii_domain):
        return None, certain  # "domain to ASCII" failure, or a forbidden domain code point
    if _ends_in_number(ascii_domain):
        return _ipv4_host(ascii_domain), certain
    return ascii_domain, certain


def _opaque_host(text: str) -> str | None:
    """"opaque-host parser": refuse forbidden host code points, percent-encode C0 controls and non-ASCII."""
    if not _FORBIDDEN_HOST.isdisjoint(text):
        return None
    if text.isascii() and text.isprintable():
        return text
    return "".join(c if " " < c < "\x7f" else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in text)


def _percent_decode_utf8(text: str) -> str:
    """"UTF-8 decode without BOM" of the "percent-decode" of the host (bad UTF-8 becomes U+FFFD)."""
    if "%" not in text:
        return text
    first, *chunks = text.encode("utf-8").split(b"%")
    out = [first]
    for chunk in chunks:
        if len(chunk) >= 2 and _ASCII_HEX.issuperset(chunk[:2].decode("ascii", "replace")):
            out.append(bytes((int(chunk[:2], 16),)) + chunk[2:])
        else:
            out.append(b"%" + chunk)  # a `%` not followed by two hex digits stays
    return b"".join(out).decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------------
# "IPv4 parser" and "IPv4 serializer"


def _ends_in_number(domain: str) -> bool:
    """The "ends in a number checker": then the domain must be an IPv4 address, or it is a failure."""
    parts = domain.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if last and _ASCII_DIGITS.issuperset(last):
        return True
    return _ipv4_number(last) is not None


def _ipv4_number(part: str) -> int | None:
    """The "IPv4 number parser": decimal, `0x` hex, or octal with a leading `0`; `0x` alone is 0."""
    if part == "":
        return None
    radix, digits = 10, _ASCII_DIGITS
    if part[:2] in ("0x", "0X"):
        radix, digits, part = 16, _ASCII_HEX, part[2:]
    elif len(part) > 1 and part[0] == "0":
        radix, digits, part = 8, frozenset("01234567"), part[1:]
    if part == "":
        return 0
    if not digits.issuperset(part):
        return None
    if radix == 10 and len(part) > 20:
        return 1 << 64  # too large for any IPv4 part (and past int()'s limit on decimal digits)
    return int(part, radix)


def _ipv4_host(domain: str) -> str | None:
    """The "IPv4 parser" (up to four parts, the last filling the remaining bytes), then dotted decimal."""
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if None in numbers or any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    address = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        address += n * 256 ** (3 - i)
    return ".".join(str((address >> shift) & 0xFF) for shift in (24, 16, 8, 0))


# ---------------------------------------------------------------------------------------------------
# "IPv6 parser" and "IPv6 serializer"


def _ipv6_host(text: str) -> str | None:
    pieces = _ipv6_pieces(text)
    return None if pieces is None else f"[{_ipv6_serialize(pieces)}]"


def _ipv6_pieces(text: str) -> list[int] | None:
    """The URL Standard's "IPv6 parser", step by step: eight 16-bit pieces, `::` once, IPv4 at the end."""
    address = [0] * 8
    piece = 0
    compress = None
    i, n = 0, len(text)
    if text[:1] == ":":
        if text[1:2] != ":":
            return None
        i, piece, compress = 2, 1, 1
    while i < n:
        if piece == 8:
            return None
        if text[i] == ":":
            if compress is not None:
                return None
            i += 1
            piece += 1
            compress = piece
            continue
        value = length = 0
        while length < 4 and i < n and text[i] in _ASCII_HEX:
            value = value * 16 + int(text[i], 16)
            i += 1
            length += 1
        if i < n and text[i] == ".":
            if length == 0 or piece > 6:
                return None
            return _ipv6_with_ipv4(text, i - length, address, piece, compress)
        if i < n and text[i] == ":":
            i += 1
            if i == n:
                return None
        elif i < n:
            return None
        address[piece] = value
        piece += 1
    return _ipv6_compress(address, piece, compress)


def _ipv6_with_ipv4(text: str, i: int, address: list[int], piece: int, compress) -> list[int] | None:
    """The IPv6 parser's IPv4 tail: exactly four strict decimal numbers (no leading zeros, <= 255)."""
    n = len(text)
    numbers_seen = 0
    while i < n:
        if numbers_seen > 0:
            if text[i] == "." and numbers_seen < 4:
                i += 1
            else:
                return None
        if i >= n or text[i] not in _ASCII_DIGITS:
            return None
        value = None
        while i < n and text[i] in _ASCII_DIGITS:
            if value == 0:
                return None
            value = int(text[i]) if value is None else value * 10 + int(text[i])
            if value > 255:
                return None
            i += 1
        address[piece] = address[piece] * 0x100 + value
        numbers_seen += 1
        if numbers_seen in (2, 4):
            piece += 1
    if numbers_seen != 4:
        return None
    return _ipv6_compress(address, piece, compress)


def _ipv6_compress(address: list[int], piece: int, compress) -> list[int] | None:
    """Move the pieces after `::` to the end, or fail if there was no `::` and fewer than 8 pieces."""
    if compress is None:
        return address if piece == 8 else None
    swaps = piece - compress
    piece = 7
    while piece != 0 and swaps > 0:
        other = compress + swaps - 1
        address[piece], address[other] = address[other], address[piece]
        piece -= 1
        swaps -= 1
    return address


def _ipv6_serialize(address: list[int]) -> str:
    """The "IPv6 serializer": lowercase hex, the first longest run (> 1) of zero pieces as `::`."""
    best_start, best_len, start = None, 1, None
    for i, value in enumerate(address + [1]):
        if value == 0 and start is None:
            start = i
        elif value != 0 and start is not None:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = None
    out = ""
    i = 0
    while i < 8:
        if i == best_start:
            out += "::" if i == 0 else ":"
            i += best_len
            continue
        out += f"{address[i]:x}" + (":" if i != 7 else "")
        i += 1
    return out


# ---------------------------------------------------------------------------------------------------
# "domain to ASCII": UTS #46 ToASCII with CheckHyphens=false, CheckBidi=true, CheckJoiners=true,
# UseSTD3ASCIIRules=false, Transitional_Processing=false, VerifyDnsLength=false.


def _domain_to_ascii(domain: str) -> tuple[str | None, bool]:
    """(ASCII domain or None for failure, known). `known` is False where Node may differ."""
    plain = _plain_ascii_domain(domain)
    if plain is not None:
        return plain, True
    result, known = _uts46_to_ascii(domain)
    if result is None and domain.isascii():
        # An ASCII domain whose `xn--` label UTS #46 refuses (`xn--a`, `xn--zn7c`): the URL Standard now
        # returns it lowercased ("domain to ASCII", when beStrict is false), as Ada does since ada-idna
        # 0.6 (2026); Ada before that, so Node 20, throws. Not vouched for; the host is the fetched one.
        return domain.lower(), False
    return result, known


def _plain_ascii_domain(domain: str) -> str | None:
    """The URL Standard's note on "domain to ASCII": for ASCII without `xn--` labels, UTS #46 only
    lowercases. None when UTS #46 must run."""
    if not domain.isascii():
        return None
    lowered = domain.lower()
    return None if "xn--" in lowered else lowered


# UTS #46 "ignored" code points of Unicode 3.2 on which Unicode 15 and 18 agree: removed from the domain
# (soft hyphen, combining grapheme joiner, Mongolian free variation selectors, zero width space, word
# joiner, variation selectors, zero width no-break space).
_IGNORED = frozenset("\u00ad\u034f\u180b\u180c\u180d\u200b\u2060") | frozenset(map(chr, range(0xFE00, 0xFE10))) \
    | frozenset("\ufeff")
# "deviation" characters: kept as they are by nontransitional processing.
_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")
# Label separators besides `.` (UTS #46 maps U+3002 to `.`; U+FF0E and U+FF61 reach `.` through NFKC).
_FULL_STOPS = frozenset("\u3002\uff0e\uff61")
# General categories that UTS #46 never lets through (controls, unassigned, private use, surrogates,
# format characters other than the ignored and deviation ones above, spaces and separators; a space
# that the table maps to U+0020 instead fails as a forbidden domain code point, which is the same).
_DISALLOWED_CATEGORIES = frozenset(("Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp", "Zs"))
# Disallowed although NFKC_Casefold keeps them: ideographic description characters, U+FFFC, U+FFFD.
_EXCLUDED = frozenset(map(chr, range(0x2FF0, 0x2FFC))) | frozenset("\ufffc\ufffd")
# Unicode 3.2 code points that the IDNA table of Unicode 15.0 (Ada 2.x, Node 20) disallows and later
# tables (Unicode 16+, newer Ada) map or ignore. Node versions differ here, so these are never vouched
# for; the answer given is the newer one, which names the host a newer Node fetches (an older one
# throws and fetches nothing).
_REMAPPED_SINCE_15 = {
    "\u04c0": "\u04cf", "\u1806": "\u1806", "\u2132": "\u214e", "\u2183": "\u2184",
    **{chr(0x10A0 + i): chr(0x2D00 + i) for i in range(0x26)},
    **dict.fromkeys("\u115f\u1160\u17b4\u17b5\u180e\u2061\u2062\u2063\u3164\uffa0", ""),
    **dict.fromkeys(map(chr, range(0x206A, 0x2070)), ""), **dict.fromkeys(map(chr, range(0x1D173, 0x1D17B)), ""),
    "\U0002f868": "\u36fc", "\U0002f874": "\u5f53", "\U0002f91f": "\U000243ab", "\U0002f95f": "\u7aee",
    "\U0002f9bf": "\u45d7",
}

_MAP_CACHE: dict[str, tuple[str | None, bool]] = {}


def _uts46_map(char: str) -> tuple[str | None, bool]:
    """UTS #46 "Map" step for one non-ASCII code point: (its replacement, known).

    The replacement is the code point itself if valid or a deviation, '' if ignored, None if disallowed.

    The IDNA Mapping Table is, by its derivation (UTS #46 section 5), NFKC_Casefold with exceptions;
    it is rebuilt here from `unicodedata` rather than shipped. The second value says whether the answer
    is vouched for: only for code points assigned by Unicode 3.2, whose treatment was checked against
    Node for every one of them, and not in `_REMAPPED_SINCE_15`. Newer code points depend on the
    Unicode version of both Python and Node (and some on UTS #46 changes), so they are not.
    """
    cached = _MAP_CACHE.get(char)
    if cached is None:
        import unicodedata  # noqa: PLC0415 -- imported only for non-ASCII hosts

        if char in _REMAPPED_SINCE_15:
            cached = (_REMAPPED_SINCE_15[char], False)
        else:
            known = unicodedata.ucd_3_2_0.category(char) != "Cn"
            cached = (_derive_mapping(char, unicodedata), known)
        _MAP_CACHE[char] = cached
    return cached


def _derive_mapping(char: str, unicodedata) -> str | None:
    """The IDNA Mapping Table entry of `char`, derived (see `_uts46_map`); checked against Node's Ada for
    every code point of Unicode 3.2, in three contexts, under Python 3.11 to 3.13."""
    if char in _EXCLUDED:
        return None
    if char in _IGNORED:
        return ""
    if char in _DEVIATIONS:
        return char
    if char in _FULL_STOPS:
        return "."
    if unicodedata.category(char) in _DISALLOWED_CATEGORIES:
        return None
    mapped = _nfkc_casefold(char, unicodedata)
    if mapped == char:
        return char
    if "." in mapped:
        return None  # `⒈` (digit full stop) and the like would split a label: disallowed
    for c in mapped:
        if c >= "\x80" and _derive_mapping(c, unicodedata) != c:
            return None
    return mapped


def _nfkc_casefold(text: str, unicodedata) -> str:
    """NFKC_Casefold: NFKC, full case folding and dropping ignorables, repeated until stable."""
    while True:
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
        folded = "".join(c for c in folded if c not in _IGNORED)
        if folded == text:
            return folded
        text = folded


def _uts46_to_ascii(domain: str) -> tuple[str | None, bool]:
    """UTS #46 "Processing" (Map, Normalize, Break, Convert/Validate) then ToASCII's punycode step."""
    import unicodedata  # noqa: PLC0415 -- imported only for non-ASCII or xn-- hosts

    known = True
    mapped = []
    for char in domain:
        if char < "\x80":
            mapped.append(char.lower())
            continue
        replacement, char_known = _uts46_map(char)
        known = known and char_known
        if replacement is None:
            return None, known  # a disallowed code point is an error, hence failure
        mapped.append(replacement)
    labels = []  # (the label as it will be written if it is an A-label already, the label in Unicode)
    for label in unicodedata.normalize("NFC", "".join(mapped)).split("."):
        if label.startswith("xn--"):
            unicode_label, label_known = _decode_ace_label(label, unicodedata)
            known = known and label_known
            if unicode_label is None:
                return None, known
            labels.append((label, unicode_label))
        else:
            labels.append((None, label))
    if any(unicodedata.bidirectional(c) in ("R", "AL", "AN") for _, label in labels for c in label):
        # A "Bidi domain name". UTS #46 applies RFC 5893 to every label; Ada checks only labels with
        # right-to-left characters, with rules that changed between versions. No answer is vouched
        # for, and none is refused: the host is the one a lenient Node would fetch.
        known = False
    result = []
    for ace_label, unicode_label in labels:
        if not unicode_label.isascii():
            valid, label_known = _valid_label(unicode_label, unicodedata)
            known = known and label_known
            if not valid:
                return None, known
        if ace_label is not None:
            result.append(ace_label)
        elif unicode_label.isascii():
            result.append(unicode_label)
        else:
            result.append("xn--" + _punycode_encode(unicode_label))  # ToASCII: the A-label
    return ".".join(result), known


def _decode_ace_label(label: str, unicodedata) -> tuple[str | None, bool]:
    """An `xn--` label: punycode-decoded, then it must be valid as it stands (UTS #46 4.1 step 4)."""
    if not label.isascii():
        return None, True
    decoded = _punycode_decode(label[4:])
    if not decoded:
        return None, True
    if decoded.isascii() or decoded.startswith("xn--"):
        # UTS #46 (Unicode 15.1) made these errors, and newer Ada follows; Ada 2.x (Node 20) accepts
        # them, and its host is the label as written.
        return label, False
    known = True
    for char in decoded:
        if char < "\x80":
            if "A" <= char <= "Z":
                return None, known  # would be mapped: not valid in an A-label
            continue
        replacement, char_known = _uts46_map(char)
        known = known and char_known
        if replacement != char:
            return None, known
    if unicodedata.normalize("NFC", decoded) != decoded:
        return None, known
    return decoded, known


def _valid_label(label: str, unicodedata) -> tuple[bool, bool]:
    """UTS #46 "Validity Criteria" left after mapping: no leading combining mark, and CheckJoiners.

    Returns (valid, known). The ContextJ rules (RFC 5892 appendix A) allow U+200C and U+200D after a
    virama; otherwise U+200D is invalid and U+200C depends on the Joining_Type of its neighbours, which
    `unicodedata` lacks (and Ada approximates); Ada also stops at the first joiner of a label. So the
    answer is vouched for only when the first joiner is a U+200D without a virama (invalid everywhere)
    or when the label's only joiner follows a virama (valid everywhere).
    """
    if unicodedata.category(label[0]).startswith("M"):
        return False, True
    joiners = [i for i, char in enumerate(label) if char in "\u200c\u200d"]
    if not joiners:
        return True, True
    i = joiners[0]
    after_virama = i > 0 and unicodedata.combining(label[i - 1]) == 9
    if label[i] == "\u200d" and not after_virama:
        return False, True
    return True, after_virama and len(joiners) == 1


# ---------------------------------------------------------------------------------------------------
# Punycode (RFC 3492), with Ada's 31-bit overflow limits.

_BASE, _TMIN, _TMAX, _SKEW, _DAMP = 36, 1, 26, 38, 700
_DIGIT_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
_DIGIT_VALUES = {c: i for i, c in enumerate(_DIGIT_CHARS)}
_MAXINT = 0x7FFFFFFF


def _adapt(delta: int, points: int, first: bool) -> int:
    delta = delta // _DAMP if first else delta // 2
    delta += delta // points
    k = 0
    while delta > ((_BASE - _TMIN) * _TMAX) // 2:
        delta //= _BASE - _TMIN
        k += _BASE
    return k + (_BASE - _TMIN + 1) * delta // (delta + _SKEW)


def _threshold(k: int, bias: int) -> int:
    return _TMIN if k <= bias else _TMAX if k >= bias + _TMAX else k - bias


def _punycode_decode(text: str) -> str | None:
    """RFC 3492 decoding; None for malformed input, overflow, or a code point that cannot exist."""
    dash = text.rfind("-")
    output = list(text[:dash]) if dash >= 0 else []
    rest = text[dash + 1:]
    n, i, bias, pos = 0x80, 0, 72, 0
    while pos < len(rest):
        old_i, w, k = i, 1, _BASE
        while True:
            if pos >= len(rest):
                return None
            digit = _DIGIT_VALUES.get(rest[pos])
            pos += 1
            if digit is None or digit > (_MAXINT - i) // w:
                return None
            i += digit * w
            t = _threshold(k, bias)
            if digit < t:
                break
            if w > _MAXINT // (_BASE - t):
                return None
            w *= _BASE - t
            k += _BASE
        bias = _adapt(i - old_i, len(output) + 1, old_i == 0)
        if i // (len(output) + 1) > _MAXINT - n:
            return None
        n += i // (len(output) + 1)
        i %= len(output) + 1
        if n > 0x10FFFF or 0xD800 <= n <= 0xDFFF:
            return None  # not a scalar value: Ada's mapping then refuses it
        output.insert(i, chr(n))
        i += 1
    return "".join(output)


def _punycode_encode(label: str) -> str:
    """RFC 3492 encoding of a (lowercase, mapped) label, without the `xn--` prefix."""
    code_points = [ord(c) for c in label]
    output = [c for c in label if c < "\x80"]
    handled = basic = len(output)
    if basic:
        output.append("-")
    n, delta, bias = 0x80, 0, 72
    while handled < len(code_points):
        m = min(c for c in code_points if c >= n)
        delta += (m - n) * (handled + 1)
        n = m
        for c in code_points:
            if c < n:
                delta += 1
            elif c == n:
                q, k = delta, _BASE
                while True:
                    t = _threshold(k, bias)
                    if q < t:
                        break
                    output.append(_DIGIT_CHARS[t + (q - t) % (_BASE - t)])
                    q = (q - t) // (_BASE - t)
                    k += _BASE
                output.append(_DIGIT_CHARS[q])
                bias = _adapt(delta, handled + 1, handled == basic)
                delta = 0
                handled += 1
        delta += 1
        n += 1
    return "".join(output)

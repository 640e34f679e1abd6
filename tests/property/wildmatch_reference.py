"""A line-by-line port of git 2.39's ``dowild()``, ``match_basename()`` and ``match_pathname()``.

It is slow and recursive on purpose: it is the reference that the regular
expressions of ``seedbundle._ignore`` are held equal to, including git's
early exits (WM_ABORT_ALL, WM_ABORT_TO_STARSTAR) and its fast path for a
star followed by a literal.
"""

from __future__ import annotations

from seedbundle._ignore import _CLASSES

WM_MATCH, WM_NOMATCH, WM_ABORT_ALL, WM_ABORT_TO_STARSTAR = 0, 1, -1, -2
WM_PATHNAME = 2
GLOB_SPECIAL = frozenset(b"*?[\\")


def _at(s: bytes, i: int) -> int:
    return s[i] if i < len(s) else 0


def dowild(p: bytes, text: bytes, flags: int, pi: int = 0, ti: int = 0) -> int:
    """git's ``dowild(p, text, flags)`` on the bytes from ``pi`` and ``ti`` (the pattern starts at ``pi``)."""
    pattern_start = pi
    while (p_ch := _at(p, pi)) != 0:
        t_ch = _at(text, ti)
        if t_ch == 0 and p_ch != ord("*"):
            return WM_ABORT_ALL
        if p_ch == ord("\\"):
            pi += 1
            p_ch = _at(p, pi)
            if t_ch != p_ch:
                return WM_NOMATCH
        elif p_ch == ord("?"):
            if flags & WM_PATHNAME and t_ch == ord("/"):
                return WM_NOMATCH
        elif p_ch == ord("*"):
            pi += 1
            if _at(p, pi) == ord("*"):
                prev_i = pi - 2
                pi += 1
                while _at(p, pi) == ord("*"):
                    pi += 1
                if not flags & WM_PATHNAME:
                    match_slash = True
                elif (prev_i < pattern_start or p[prev_i] == ord("/")) and (
                    _at(p, pi) == 0
                    or _at(p, pi) == ord("/")
                    or (_at(p, pi) == ord("\\") and _at(p, pi + 1) == ord("/"))
                ):
                    if _at(p, pi) == ord("/") and dowild(p, text, flags, pi + 1, ti) == WM_MATCH:
                        return WM_MATCH
                    match_slash = True
                else:
                    match_slash = False
            else:
                match_slash = not flags & WM_PATHNAME
            if _at(p, pi) == 0:
                if not match_slash and ord("/") in text[ti:]:
                    return WM_NOMATCH
                return WM_MATCH
            if not match_slash and _at(p, pi) == ord("/"):
                slash = text.find(b"/", ti)
                if slash < 0:
                    return WM_NOMATCH
                ti = slash
                # the slash is consumed by the loop below (p[pi] == '/' == text[ti])
                pi += 1
                ti += 1
                continue
            while True:
                if t_ch == 0:
                    break
                if _at(p, pi) not in GLOB_SPECIAL:
                    want = _at(p, pi)
                    while (t_ch := _at(text, ti)) != 0 and (match_slash or t_ch != ord("/")):
                        if t_ch == want:
                            break
                        ti += 1
                    if t_ch != want:
                        return WM_NOMATCH
                matched = dowild(p, text, flags, pi, ti)
                if matched != WM_NOMATCH:
                    if not match_slash or matched != WM_ABORT_TO_STARSTAR:
                        return matched
                elif not match_slash and t_ch == ord("/"):
                    return WM_ABORT_TO_STARSTAR
                ti += 1
                t_ch = _at(text, ti)
            return WM_ABORT_ALL
        elif p_ch == ord("["):
            result, pi = _bracket(p, pi, t_ch, flags)
            if result != WM_MATCH:
                return result
        elif t_ch != p_ch:
            return WM_NOMATCH
        pi += 1
        ti += 1
    return WM_NOMATCH if ti < len(text) else WM_MATCH


def _bracket(p: bytes, pi: int, t_ch: int, flags: int) -> tuple[int, int]:
    """The ``case '['`` of dowild: the result, and the index of the closing ']'."""
    pi += 1
    p_ch = _at(p, pi)
    if p_ch == ord("^"):
        p_ch = ord("!")
    negated = p_ch == ord("!")
    if negated:
        pi += 1
        p_ch = _at(p, pi)
    prev_ch = 0
    matched = False
    while True:
        if not p_ch:
            return WM_ABORT_ALL, pi
        if p_ch == ord("\\"):
            pi += 1
            p_ch = _at(p, pi)
            if not p_ch:
                return WM_ABORT_ALL, pi
            if t_ch == p_ch:
                matched = True
        elif p_ch == ord("-") and prev_ch and _at(p, pi + 1) and _at(p, pi + 1) != ord("]"):
            pi += 1
            p_ch = _at(p, pi)
            if p_ch == ord("\\"):
                pi += 1
                p_ch = _at(p, pi)
                if not p_ch:
                    return WM_ABORT_ALL, pi
            if prev_ch <= t_ch <= p_ch:
                matched = True
            p_ch = 0
        elif p_ch == ord("[") and _at(p, pi + 1) == ord(":"):
            pi += 2
            s = pi
            while (p_ch := _at(p, pi)) and p_ch != ord("]"):
                pi += 1
            if not p_ch:
                return WM_ABORT_ALL, pi
            i = pi - s - 1
            if i < 0 or p[pi - 1] != ord(":"):
                pi = s - 2
                p_ch = ord("[")
                if t_ch == p_ch:
                    matched = True
            else:
                name = p[s : s + i]
                if name not in _CLASSES:
                    return WM_ABORT_ALL, pi
                if t_ch in _CLASSES[name]:
                    matched = True
                p_ch = 0
        elif t_ch == p_ch:
            matched = True
        prev_ch = p_ch
        pi += 1
        p_ch = _at(p, pi)
        if p_ch == ord("]"):
            break
    if matched == negated or (flags & WM_PATHNAME and t_ch == ord("/")):
        return WM_NOMATCH, pi
    return WM_MATCH, pi


def simple_length(p: bytes) -> int:
    for i, byte in enumerate(p):
        if byte in GLOB_SPECIAL:
            return i
    return len(p)


def matches(line: bytes, path: bytes, is_dir: bool, base: bytes = b"") -> bool:
    """Whether the (trimmed) ignore-file line matches ``path``, negation aside: dir.c's logic."""
    p = line[1:] if line.startswith(b"!") else line
    must_be_dir = p.endswith(b"/")
    if must_be_dir:
        p = p[:-1]
    if must_be_dir and not is_dir:
        return False
    nodir = b"/" not in p
    prefix = min(simple_length(p), len(p))
    if nodir:
        basename = path.rpartition(b"/")[2]
        if prefix == len(p):
            return p == basename
        if p.startswith(b"*") and simple_length(p[1:]) == len(p) - 1:
            return len(p) - 1 <= len(basename) and basename.endswith(p[1:])
        return dowild(p, basename, 0) == WM_MATCH
    if p.startswith(b"/"):
        p, prefix = p[1:], prefix - 1
    baselen = len(base) - 1 if base else 0
    if (
        len(path) < baselen + 1
        or (baselen and path[baselen : baselen + 1] != b"/")
        or path[:baselen] != base[:baselen]
    ):
        return False
    name = path[baselen + 1 :] if baselen else path
    if prefix:
        if prefix > len(name) or p[:prefix] != name[:prefix]:
            return False
        p, name = p[prefix:], name[prefix:]
        if not p and not name:
            return True
    return dowild(p, name, WM_PATHNAME) == WM_MATCH

#!/usr/bin/env python3
"""Lists the Rust functions longer than a screen, and fails if there is one.

A function is counted from the line of its `fn` keyword to the line of its closing brace.
Test code is left out: files under a `tests/` directory, and items marked `#[cfg(test)]`
(the unit-test modules beside the code). Everything else under `crates/` and `src/` is read.

Usage: python3 .ci/long_functions.py [--max N] [ROOT]   (from the repository's root by default)
Exit status: 0 when no function is longer than N lines (100 by default), 1 otherwise, 2 when a
file cannot be read.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_LINES = 100
SCANNED = ("crates", "src")
CFG_TEST = re.compile(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]")
FN_NAME = re.compile(r"\bfn\s+(?:r#)?([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Function:
    """One function declaration with a body."""

    path: Path
    name: str
    first_line: int
    last_line: int

    @property
    def lines(self) -> int:
        return self.last_line - self.first_line + 1


def code_only(text: str) -> str:
    """`text` with every comment, string and character literal blanked (newlines kept), so
    that braces, `fn` and attributes are found only where they are code."""
    out = list(text)
    i, n = 0, len(text)

    def blank(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif (raw := re.match(r'(?:b|c)?r(#*)"', text[i : i + 260])) and not _ident_before(
            text, i
        ):
            close = '"' + raw.group(1)
            end = text.find(close, i + raw.end())
            end = n if end < 0 else end + len(close)
            blank(i, end)
            i = end
        elif c == '"' or (c in "bc" and text.startswith('"', i + 1) and not _ident_before(text, i)):
            j = i + (1 if c == '"' else 2)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
        elif c == "'":
            # A character literal ('a', '\n', '\u{1F600}', b'{') or a lifetime ('a, 'static).
            if text.startswith("\\", i + 1):
                end = text.find("'", i + 2)
                end = n if end < 0 else end + 1
                blank(i, end)
                i = end
            elif i + 2 < n and text[i + 2] == "'":
                blank(i, i + 3)
                i += 3
            else:
                i += 1
        else:
            i += 1
    return "".join(out)


def _ident_before(text: str, i: int) -> bool:
    """Whether the character before `i` continues an identifier (`hr"` is not a raw string)."""
    return i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")


def matching_brace(code: str, open_at: int) -> int:
    """The index of the brace closing the one at `open_at` (the end of `code` if none)."""
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] == "{":
            depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(code) - 1


def item_body(code: str, start: int) -> int | None:
    """The index of the `{` opening the body of the item starting at `start`, or `None` when
    the item ends with `;` first (a declaration without body, `mod name;`, a `use`)."""
    nesting = 0
    for k in range(start, len(code)):
        ch = code[k]
        if ch in "([":
            nesting += 1
        elif ch in ")]":
            nesting -= 1
        elif nesting == 0 and ch == "{":
            return k
        elif nesting == 0 and ch == ";":
            return None
    return None


def test_regions(code: str) -> list[tuple[int, int]]:
    """The spans of the items marked `#[cfg(test)]`, from the attribute to the item's end."""
    regions = []
    for m in CFG_TEST.finditer(code):
        body = item_body(code, m.end())
        end = matching_brace(code, body) if body is not None else m.end()
        regions.append((m.start(), end))
    return regions


def functions(path: Path, text: str) -> list[Function]:
    """The functions with a body declared in `text`, outside `#[cfg(test)]` items."""
    code = code_only(text)
    skipped = test_regions(code)
    found = []
    # `fn` then a name: a declaration (a function pointer type, `fn(u8) -> u8`, has no name).
    for m in FN_NAME.finditer(code):
        if any(a <= m.start() <= b for a, b in skipped):
            continue
        body = item_body(code, m.end())
        if body is None:
            continue
        close = matching_brace(code, body)
        found.append(
            Function(
                path=path,
                name=m.group(1),
                first_line=code.count("\n", 0, m.start()) + 1,
                last_line=code.count("\n", 0, close) + 1,
            )
        )
    return found


def rust_files(root: Path) -> list[Path]:
    """The Rust files under `crates/` and `src/`, leaving out `tests/` and build output."""
    files = []
    for top in SCANNED:
        for path in sorted((root / top).rglob("*.rs")):
            parts = path.relative_to(root).parts
            if "tests" in parts or "target" in parts:
                continue
            files.append(path)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=".", type=Path)
    parser.add_argument("--max", type=int, default=MAX_LINES, help="longest allowed, in lines")
    args = parser.parse_args()
    root = args.root.resolve()
    long = []
    for path in rust_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            print(f"cannot read {path}: {e}", file=sys.stderr)
            return 2
        long += [f for f in functions(path.relative_to(root), text) if f.lines > args.max]
    for f in sorted(long, key=lambda f: (-f.lines, str(f.path))):
        print(f"{f.path}:{f.first_line}: fn {f.name} is {f.lines} lines (at most {args.max})")
    if long:
        print(f"{len(long)} function(s) longer than {args.max} lines", file=sys.stderr)
        return 1
    print(f"no function outside tests is longer than {args.max} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())

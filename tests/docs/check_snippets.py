#!/usr/bin/env python3
"""The docs cannot rot: every C++, JavaScript, CMake or Python block in the Markdown files is
copied from a file that CTest builds and runs (an example, a test, a project file), and this
check fails when the two differ.

A block names its source on the line just before its fence:

    <!-- snippet: examples/hub_chat.cpp -->
    ```cpp
    hub.on("chat_message", [&](wisp::Event& ev) -> wisp::json {
      // ...
    });
    ```

The block's lines must appear in that file in order, as consecutive lines, at any one
indentation; a line that is only `// ...` (or `# ...`) skips any number of lines. Shell and
plain-text blocks are commands and output, not code: they are not checked.

    check_snippets.py ROOT            checks README.md and every .md file below ROOT's docs/,
                                      examples/, bench/ and deploy/
    check_snippets.py ROOT FILE.md... checks these files only
"""
import pathlib
import re
import sys

CHECKED = {"cpp", "c++", "js", "javascript", "mjs", "cmake", "python", "py"}
MARKER = re.compile(r"^<!-- snippet: (\S+) -->$")
FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)\s*$")
GAP = {"// ...", "# ..."}


def blocks(lines):
    """Yields (line number of the fence, language, marker path or None, block lines)."""
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        start, language = i, fence.group(2).lower()
        end = i + 1
        while end < len(lines) and not FENCE.match(lines[end]):
            end += 1
        marker = MARKER.match(lines[i - 1].strip()) if i > 0 else None
        yield start + 1, language, marker.group(1) if marker else None, lines[i + 1:end]
        i = end + 1


def chunks(block):
    """The block split at its `// ...` lines, each chunk without leading/trailing blank lines."""
    out, current = [], []
    for line in block:
        if line.strip() in GAP:
            out.append(current)
            current = []
        else:
            current.append(line.rstrip())
    out.append(current)
    trimmed = []
    for chunk in out:
        while chunk and not chunk[0]:
            chunk = chunk[1:]
        while chunk and not chunk[-1]:
            chunk = chunk[:-1]
        if chunk:
            trimmed.append(chunk)
    return trimmed


def indent(line):
    return len(line) - len(line.lstrip(" "))


def matches_at(source, at, chunk):
    """True when chunk equals source[at:] shifted by one indentation (blank lines match blank)."""
    if at + len(chunk) > len(source):
        return False
    shift = indent(source[at]) - indent(chunk[0])
    if shift < 0:
        return False
    for offset, line in enumerate(chunk):
        have = source[at + offset].rstrip()
        if not line:
            if have:
                return False
        elif have[:shift].strip() or have[shift:] != line:
            return False
    return True


def find(source, chunks_, start=0):
    """The line after the last chunk matched in order, or (None, the first chunk not found)."""
    for chunk in chunks_:
        at = next((i for i in range(start, len(source)) if matches_at(source, i, chunk)), None)
        if at is None:
            return None, chunk
        start = at + len(chunk)
    return start, None


def check_file(root, md):
    problems = []
    lines = md.read_text(encoding="utf-8").splitlines()
    for line_no, language, path, block in blocks(lines):
        if language not in CHECKED:
            continue
        where = f"{md.relative_to(root)}:{line_no}"
        if path is None:
            problems.append(f"{where}: a {language} block without <!-- snippet: FILE --> before it")
            continue
        source_path = root / path
        if not source_path.is_file():
            problems.append(f"{where}: {path} does not exist")
            continue
        source = [line.rstrip() for line in source_path.read_text(encoding="utf-8").splitlines()]
        parts = chunks(block)
        if not parts:
            problems.append(f"{where}: an empty block")
            continue
        _, missing = find(source, parts)
        if missing is not None:
            problems.append(f"{where}: not in {path} (in order): it differs from here on:\n    "
                            + "\n    ".join(missing[:4]))
    return problems


def markdown_files(root):
    files = [root / "README.md"]
    for folder in ("docs", "examples", "bench", "deploy"):
        files += sorted((root / folder).rglob("*.md"))
    return [f for f in files if f.is_file() and "node_modules" not in f.parts]


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    root = pathlib.Path(argv[1]).resolve()
    files = [pathlib.Path(f).resolve() for f in argv[2:]] or markdown_files(root)
    problems, checked = [], 0
    for md in files:
        problems += check_file(root, md)
        checked += 1
    for problem in problems:
        print(problem)
    print(f"{checked} Markdown files, {len(problems)} blocks that do not match their source")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

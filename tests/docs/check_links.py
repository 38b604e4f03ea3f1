#!/usr/bin/env python3
"""Every relative link of README.md and docs/*.md leads somewhere: the file exists, and a
#fragment names a heading of the Markdown file it points into (GitHub's anchors: lower case,
punctuation dropped, spaces as dashes).

    check_links.py ROOT
"""
import pathlib
import re
import sys

LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#+ (.*)$")


def anchors(path):
    names = set()
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        heading = HEADING.match(line)
        if heading and not in_code:
            names.add(re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-"))
    return names


def problems(root, md):
    text = md.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # links inside code are not links
    for match in LINK.finditer(text):
        target = match.group(1)
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, fragment = target.partition("#")
        dest = (md.parent / path).resolve() if path else md
        if not dest.exists():
            yield f"{md.relative_to(root)}: {target}: no such file"
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            yield f"{md.relative_to(root)}: {target}: no heading #{fragment} there"


def main(argv):
    root = pathlib.Path(argv[1]).resolve()
    files = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    found = [p for md in files for p in problems(root, md)]
    for problem in found:
        print(problem)
    print(f"{len(files)} Markdown files, {len(found)} broken links")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

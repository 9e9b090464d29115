"""Every link in the repository's Markdown stays inside it and points at a file that exists
(users read these files in an installed package or a checkout, often offline)."""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)\s]+)\)|<(https?://[^>]+)>|(?<![\w/`])(https?://[^\s)>`'\"]+)")

problems = []
files = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
for name in files:
    path = ROOT / name
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fenced ^= line.lstrip().startswith("```")
        if fenced or line.lstrip().startswith("```"):
            continue  # code blocks and code spans hold commands and URLs to type, not links
        for m in LINK.finditer(re.sub(r"`[^`]*`", "", line)):
            target = next(g for g in m.groups() if g)
            if "://" in target or target.startswith("mailto:"):
                problems.append(f"{name}:{number}: links outside the repository: {target}")
            elif not (path.parent / target.split("#")[0]).exists() and not target.startswith("#"):
                problems.append(f"{name}:{number}: no such file: {target}")
print("\n".join(problems) or f"{len(files)} Markdown files: every link stays in the repository")
sys.exit(1 if problems else 0)

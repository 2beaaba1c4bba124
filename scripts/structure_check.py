#!/usr/bin/env python3
"""Checks the shape the code keeps (issue 15), from the repository root.

  - no function over 60 lines and no .cc over 500 lines outside tests;
  - SQL only in *_store files and the database layer (drivers, migrations);
  - no audit Sync() in api/: services that read what the audit writer
    queued sync inside themselves.

Prints each violation and exits 1 if there is any.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from function_lengths import LIMIT, ROOTS, functions  # noqa: E402

MAX_FILE_LINES = 500
SQL = re.compile(r'"[^"]*\b(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM|CREATE TABLE)\b')
DATABASE_LAYER = {"common/sqlite_database.cc", "common/postgres_database.cc",
                  "common/migrations.cc"}


def sources():
    for root in ROOTS:
        for dirpath, _, files in os.walk(root):
            for f in sorted(files):
                if f.endswith((".cc", ".cpp", ".h")):
                    yield os.path.join(dirpath, f)


def main():
    problems = []
    for path in sources():
        text = open(path, encoding="utf-8", errors="replace").read()
        lines = text.split("\n")
        if path.endswith(".cc") and len(lines) - 1 > MAX_FILE_LINES:
            problems.append("%s: %d lines (limit %d)" % (path, len(lines) - 1, MAX_FILE_LINES))
        for name, line, length in functions(path):
            if length > LIMIT:
                problems.append("%s:%d: %s is %d lines (limit %d)" % (path, line, name, length, LIMIT))
        is_store = "_store." in os.path.basename(path) or path in DATABASE_LAYER
        for number, line in enumerate(lines, 1):
            if line.lstrip().startswith("//"):
                continue
            if not is_store and SQL.search(line):
                problems.append("%s:%d: SQL outside a *_store file" % (path, number))
            if path.startswith("api/") and re.search(r"\bSync\(", line):
                problems.append("%s:%d: Sync() in api/" % (path, number))
    for p in problems:
        print(p)
    print("%d structure problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Lists functions longer than a limit in production sources (not tests).

A heuristic that fits this code base's clang-format style: a definition
starts at column 0 (or at two spaces inside a class body) with its opening
brace ending the signature, and ends at the matching closing brace on a
line of its own at the same indentation. Usage: function_lengths.py [LIMIT]
"""
import os
import re
import sys

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 60
ROOTS = ["api", "common", "services", "cli"]
SKIP_START = re.compile(r"^\s*(public:|private:|protected:|namespace|struct|class|enum|union|extern|#|//|\}|template\s*<[^>]*>\s*$)")


def functions(path):
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^( {0,2})\S", line)
        if not m or SKIP_START.match(line) or line.rstrip().endswith(";"):
            i += 1
            continue
        indent = m.group(1)
        # The signature may span lines; it ends with "{" (a body) or ";".
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith(("{", ";")) and j - i < 8:
            j += 1
        if j >= len(lines) or not lines[j].rstrip().endswith("{") or "=" in lines[i].split("(")[0]:
            i = j + 1
            continue
        close = indent + "}"
        k = j + 1
        while k < len(lines) and not (lines[k].rstrip() == close or lines[k].startswith(close + " ")
                                       or lines[k].rstrip() == close + ";"):
            k += 1
        name = re.sub(r"\s+", " ", " ".join(l.strip() for l in lines[i:j + 1]))[:90]
        yield name, i + 1, k - i + 1
        i = k + 1


def main():
    long_ones = []
    for root in ROOTS:
        for dirpath, _, files in os.walk(root):
            for f in files:
                if f.endswith((".cc", ".cpp", ".h")):
                    path = os.path.join(dirpath, f)
                    for name, line, length in functions(path):
                        if length > LIMIT:
                            long_ones.append((length, path, line, name))
    for length, path, line, name in sorted(long_ones, reverse=True):
        print("%4d  %s:%d  %s" % (length, path, line, name))
    print("%d functions over %d lines" % (len(long_ones), LIMIT))


if __name__ == "__main__":
    main()

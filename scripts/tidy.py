#!/usr/bin/env python3
"""make tidy: clang-tidy (.clang-tidy at the top) over every C++ source file in git, with the
flags of BUILD_DIR/compile_commands.json; any finding fails the run.

A file's clean verdict is cached under ~/.cache/autonomy-tidy (or $AUTONOMY_TIDY_CACHE), keyed
by the clang-tidy version, .clang-tidy, the flags and the file's preprocessed text (comments
kept, so NOLINT counts): a file is analysed again whenever anything it includes changes, and a
rerun on an unchanged tree costs one preprocessor pass per file. Findings are never cached.

Usage: scripts/tidy.py BUILD_DIR [FILE...]
"""
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Project headers are analysed as part of the files that include them; system headers never.
HEADER_FILTER = "^" + re.escape(ROOT) + "/(api|cli|config|daemon|engine|jobs|tests|tools|fuzz)/"


def project_sources():
    out = subprocess.run(["git", "ls-files", "*.cpp"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [os.path.join(ROOT, f) for f in out.stdout.split()]


def analysis_args(command):
    """The compile command as clang-tidy should see it: without gcc's precompiled header (clang
    cannot read it; each file includes what it uses), gcc-only warning flags, the output and the
    source file itself."""
    args = shlex.split(command)[1:]
    kept, skip = [], False
    for i, a in enumerate(args):
        if skip:
            skip = False
            continue
        if a in ("-o", "-c"):
            skip = True
            continue
        if a == "-include" and i + 1 < len(args) and args[i + 1].endswith("cmake_pch.hxx"):
            skip = True
            continue
        if a.startswith("-W") or a.startswith("-fpch"):
            continue
        kept.append(a)
    return kept


def cache_key(tool_version, config, compiler, args, source, build):
    """The build folder and the checkout are named by placeholders, so that verdicts carry over
    between build/ and build-ci/ and between clones (CI's clean clone reuses this machine's)."""
    pre = subprocess.run([compiler, *args, "-E", "-C", "-P", source], capture_output=True)
    if pre.returncode != 0:
        return None  # clang-tidy will report why

    def neutral(text):
        return text.replace(build, "<build>").replace(ROOT, "<root>")

    h = hashlib.sha256()
    for part in (tool_version, config, neutral(" ".join(args)), os.path.relpath(source, ROOT)):
        h.update(part.encode())
        h.update(b"\0")
    h.update(pre.stdout.replace(build.encode(), b"<build>").replace(ROOT.encode(), b"<root>"))
    return h.hexdigest()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    db_path = os.path.join(build, "compile_commands.json")
    if not os.path.exists(db_path):
        sys.exit(f"tidy: {db_path} is missing; build first (make build BUILD_DIR={sys.argv[1]})")
    entries = {e["file"]: e for e in json.load(open(db_path))}
    wanted = [os.path.abspath(f) for f in sys.argv[2:]] or project_sources()
    missing = [f for f in wanted if f not in entries and not f.startswith(os.path.join(ROOT, "fuzz") + "/")]
    if missing:
        sys.exit("tidy: not in compile_commands.json (re-run cmake?): " + ", ".join(os.path.relpath(m, ROOT) for m in missing))
    # The fuzz targets are built only by make fuzz (clang, its own tree): checked when listed there.
    wanted = [f for f in wanted if f in entries]

    tool_version = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True, check=True).stdout
    config = open(os.path.join(ROOT, ".clang-tidy")).read()
    cache = os.environ.get("AUTONOMY_TIDY_CACHE", os.path.expanduser("~/.cache/autonomy-tidy"))
    os.makedirs(cache, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="tidy-db-") as dbdir:
        db = []
        plans = {}
        for f in wanted:
            e = entries[f]
            args = analysis_args(e["command"])
            compiler = shlex.split(e["command"])[0]
            db.append({"directory": e["directory"], "file": f, "arguments": [compiler, *args, "-c", f]})
            plans[f] = (compiler, args)
        with open(os.path.join(dbdir, "compile_commands.json"), "w") as out:
            json.dump(db, out)

        def check(f):
            compiler, args = plans[f]
            key = cache_key(tool_version, config, compiler, args, f, build)
            if key and os.path.exists(os.path.join(cache, key)):
                return f, True, True, ""
            r = subprocess.run(["clang-tidy", "-p", dbdir, "--quiet", "--header-filter=" + HEADER_FILTER,
                                "--warnings-as-errors=*", f], capture_output=True, text=True)
            clean = r.returncode == 0 and "warning:" not in r.stdout and "error:" not in r.stdout
            if clean and key:
                open(os.path.join(cache, key), "w").close()
            return f, clean, False, r.stdout + r.stderr

        failed, cached = [], 0
        jobs = int(os.environ.get("JOBS", os.cpu_count() or 2))
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for f, clean, hit, text in pool.map(check, wanted):
                cached += hit
                if not clean:
                    failed.append(f)
                    # clang-tidy's own counts ("N warnings generated") are noise here.
                    lines = [l for l in text.splitlines() if not re.match(r"^\d+ warnings? (and \d+ errors? )?generated", l)
                             and not l.startswith("Suppressed ")]
                    print("\n".join(lines))
        print(f"tidy: {len(wanted)} files, {len(wanted) - len(failed)} clean ({cached} from the cache), "
              f"{len(failed)} with findings")
        if failed:
            print("tidy: fix the findings above (or, where a check is wrong for that line, NOLINT(check) with why)")
            sys.exit(1)


if __name__ == "__main__":
    main()

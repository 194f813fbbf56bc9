#!/usr/bin/env python3
"""Turns bench/run.sh's raw results into tables: medians per case and tool, our/skopeo ratios,
the targets met or missed. Prints the tables and writes RESULTS.md.

Usage: report.py META_FILE RESULTS_TSV RESULTS_MD   (stdlib only)
"""
import csv
import statistics
import sys

MIB = 1024 * 1024

TOOLS = [
    ("ours", "autonomy registry sync"),
    ("skopeo-sync", "skopeo sync"),
    ("skopeo-loop", "skopeo copy loop"),
]

SECTIONS = [
    ("direct", "first", "First sync, direct"),
    ("direct", "noop", "No-op re-sync, direct"),
    ("link", "first", "First sync through a 50 ms round-trip link"),
    ("link", "noop", "No-op re-sync through a 50 ms round-trip link"),
    ("big", "first", "A single large layer (peak RSS)"),
    ("drop", "first", "A large layer through a link that drops every connection"),
    ("many", "first", "First sync of many small repos, direct"),
    ("many", "noop", "No-op re-sync of many small repos, direct"),
    ("manylink", "first", "First sync of many small repos through the 50 ms link"),
    ("manylink", "noop", "No-op re-sync of many small repos through the 50 ms link"),
    ("signed", "first", "First sync of many small signed repos through the 50 ms link (--pub-key)"),
    ("signed", "noop", "No-op re-sync of many small signed repos through the 50 ms link (--pub-key)"),
]


def growth_points(all_summaries):
    """The growth-N cases present, by N."""
    return sorted({int(k[0].split("-", 1)[1]) for k in all_summaries if k[0].startswith("growth-")})


def load_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


def med(values):
    return statistics.median(values) if values else None


def fmt(v, digits=2):
    return "n/a" if v is None else f"{v:.{digits}f}"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def wall_digits(runs):
    """Decimals the wall times were recorded with (3 from bench/run.sh; 2 from /usr/bin/time's %e)."""
    return max((len(r["wall_s"].split(".")[1]) if "." in r["wall_s"] else 0) for r in runs) if runs else 2


class Summary:
    """Medians of one tool in one case and phase (over the runs that succeeded)."""

    def __init__(self, runs):
        self.runs = runs
        ok = [r for r in runs if r["rc"] == "0"]
        self.ok = len(ok)
        use = ok  # failed runs are shown, not averaged
        self.wall = med([float(r["wall_s"]) for r in use])
        self.rss = med([int(r["rss_kib"]) / 1024 for r in use])
        self.up = med([int(r["bytes_up"]) / MIB for r in use])
        self.down = med([int(r["bytes_down"]) / MIB for r in use])
        self.conns = med([int(r["conns"]) for r in use])
        self.digits = wall_digits(runs)
        self.rounds = ", ".join(
            (f"{float(r['wall_s']):.{self.digits}f}" if r["rc"] == "0" else f"failed (exit {r['rc']}, {float(r['wall_s']):.1f} s, "
             f"{int(r['bytes_up']) / MIB:.0f} MiB up)")
            for r in sorted(runs, key=lambda r: int(r["round"])))
        self.dropped = med([int(r["dropped"]) for r in runs])
        src = [r for r in runs if r.get("src_bytes_down", "-") not in ("-", "", None)]
        self.has_src = bool(src)
        self.src_down = med([int(r["src_bytes_down"]) / MIB for r in src if r["rc"] == "0"])
        self.src_dropped = med([int(r["src_dropped"]) for r in src])


def section_title(kase, title, meta):
    if kase in ("direct", "link"):
        n = meta.get("main_repos", "?")
        size = int(meta.get("main_bytes", 0)) / MIB
        extra = {"direct": "through a zero-delay linkem in front of B (it counts the bytes)",
                 "link": f"linkem in front of B adds {meta.get('link_one_way_ms', '?')} ms each way"}[kase]
        return f"{title} ({n} repos, {size:.0f} MiB at A; {extra})"
    if kase in ("many", "manylink", "signed") or kase.startswith("growth-"):
        n = kase.split("-", 1)[1] if kase.startswith("growth-") else meta.get("many_repos", "?")
        where = "direct" if kase == "many" else f"linkem in front of B adds {meta.get('link_one_way_ms', '?')} ms each way"
        return f"{title} ({n} repos, {meta.get('many_desc', '?')}; {where})"
    if kase == "big":
        return f"{title}: {int(meta.get('big_layer_bytes', 0)) / MIB:.0f} MiB layer, direct"
    where = "to A and to B" if meta.get("drop_sides") == "both" else "to B"
    return (f"{title}: {int(meta.get('drop_layer_bytes', 0)) / MIB:.0f} MiB layer, linkem resets every connection "
            f"{where} after {meta.get('drop_after_mib', '?')} MiB (both directions counted)")


def table(kase, phase, summaries):
    drops = kase == "drop"
    src = any(s.has_src for s in summaries.values())
    head = "| tool | ok runs | median wall s | peak RSS MiB | MiB sent to B | MiB from B | connections"
    if drops:
        head += " | connections reset at B"
    if src:
        head += " | MiB read from A | connections reset at A"
    head += " | wall s per round |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for key, label in TOOLS:
        s = summaries.get(key)
        if s is None:
            continue
        row = (f"| {label} | {s.ok}/{len(s.runs)} | {fmt(s.wall, s.digits)} | {fmt(s.rss, 1)} | {fmt(s.up, 1)} | "
               f"{fmt(s.down, 2)} | {fmt(s.conns, 0)}")
        if drops:
            row += f" | {fmt(s.dropped, 0)}"
        if src:
            row += f" | {fmt(s.src_down, 1)} | {fmt(s.src_dropped, 0)}"
        lines.append(row + f" | {s.rounds} |")
    extra = (" |" if drops else "") + (" | |" if src else "")
    ours = summaries.get("ours")
    for key, label in TOOLS[1:]:
        s = summaries.get(key)
        if ours is None or s is None or not ours.ok or not s.ok:
            continue  # no ratio against a tool that never completed
        lines.append(f"| **ours / {label}** | | **{fmt(ratio(ours.wall, s.wall))}×** | {fmt(ratio(ours.rss, s.rss))}× | "
                     f"{fmt(ratio(ours.up, s.up))}× | {fmt(ratio(ours.down, s.down))}× | "
                     f"{fmt(ratio(ours.conns, s.conns))}×{extra} | |")
    return lines


def targets(all_summaries, meta):
    out = []

    def get(kase, phase, tool):
        return all_summaries.get((kase, phase), {}).get(tool)

    def wall_target(kase, phase, limit, label):
        ours, sk = get(kase, phase, "ours"), get(kase, phase, "skopeo-sync")
        if ours is None or sk is None:
            return
        r = ratio(ours.wall, sk.wall)
        met = r is not None and r <= limit and ours.ok == len(ours.runs)
        out.append((label, f"≤ {limit}× skopeo sync",
                    f"{fmt(r, 4)}× ({fmt(ours.wall, ours.digits)} s vs {fmt(sk.wall, sk.digits)} s)", met))

    wall_target("link", "noop", 0.1, "no-op re-sync through the 50 ms link")
    wall_target("direct", "first", 0.7, "first sync, direct")
    wall_target("link", "first", 0.35, "first sync through the 50 ms link")
    noop = get("manylink", "noop", "ours")
    if noop is not None:
        out.append((f"no-op re-sync of {meta.get('many_repos', '?')} repos through the 50 ms link", "≤ 0.5 s",
                    f"{fmt(noop.wall, noop.digits)} s", noop.wall is not None and noop.wall <= 0.5
                    and noop.ok == len(noop.runs)))
    wall_target("many", "first", 0.25, f"first sync of {meta.get('many_repos', '?')} small repos, direct")
    points = growth_points(all_summaries)
    if len(points) >= 2:
        lo, hi = get(f"growth-{points[0]}", "noop", "ours"), get(f"growth-{points[-1]}", "noop", "ours")
        if lo is not None and hi is not None and lo.wall is not None and hi.wall is not None:
            slope = (hi.wall - lo.wall) / (points[-1] - points[0]) * 1000
            walls = ", ".join(f"{n}: {fmt(get(f'growth-{n}', 'noop', 'ours').wall, 3)} s" for n in points)
            out.append(("no-op growth through the 50 ms link", "≤ 1 ms per extra repo",
                        f"{slope:.2f} ms per repo ({walls})", slope <= 1.0))
    if "commit_rate_wall_s" in meta:
        first = get("many", "first", "ours")
        floor = float(meta["commit_rate_wall_s"])
        vs = f"; ours' first sync direct: {fmt(first.wall, first.digits)} s = {first.wall / floor:.2f}× that" if (
            first is not None and first.wall) else ""
        out.append((f"B's commit floor: a plain parallel uploader ({meta.get('commit_rate_workers')} connections)",
                    "(a bound, not a target)",
                    f"{meta.get('commit_rate_repos')} repos' writes in {floor:.2f} s, "
                    f"{meta.get('commit_rate_requests')} requests, {meta.get('commit_rate_repos_per_s')} repos/s{vs}",
                    None))
    big = get("big", "first", "ours")
    if big is not None:
        out.append((f"peak RSS, single {int(meta.get('big_layer_bytes', 0)) / MIB:.0f} MiB layer", "≤ 64 MiB",
                    f"{fmt(big.rss, 1)} MiB", big.rss is not None and big.rss <= 64 and big.ok == len(big.runs)))
    drop = get("drop", "first", "ours")
    if drop is not None:
        layer = int(meta.get("drop_layer_bytes", 0)) / MIB
        worst = max(int(r["bytes_up"]) / MIB for r in drop.runs)
        met = drop.ok == len(drop.runs) and worst <= 1.1 * layer
        out.append((f"{layer:.0f} MiB layer, connections reset every {meta.get('drop_after_mib', '?')} MiB",
                    "completes; sent ≤ 1.10× the layer",
                    f"{'completed' if drop.ok == len(drop.runs) else 'FAILED'} {drop.ok}/{len(drop.runs)}; "
                    f"sent {worst:.1f} MiB = {worst / layer:.3f}× the layer; connections reset: "
                    f"{fmt(drop.dropped, 0)} to B" + (f", {fmt(drop.src_dropped, 0)} to A" if drop.has_src else ""),
                    met))
    return out


def main():
    meta_path, tsv_path, md_path = sys.argv[1:4]
    meta = load_meta(meta_path)
    with open(tsv_path) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))

    all_summaries = {}
    for r in rows:
        all_summaries.setdefault((r["case"], r["phase"]), {}).setdefault(r["tool"], []).append(r)
    all_summaries = {k: {t: Summary(runs) for t, runs in v.items()} for k, v in all_summaries.items()}

    body = []
    sections = list(SECTIONS)
    for n in growth_points(all_summaries):
        sections.append((f"growth-{n}", "noop", "No-op growth line through the 50 ms link"))
    for kase, phase, title in sections:
        if (kase, phase) not in all_summaries:
            continue
        body.append(f"### {section_title(kase, title, meta)}")
        body.append("")
        body.extend(table(kase, phase, all_summaries[(kase, phase)]))
        body.append("")

    tgt = targets(all_summaries, meta)
    tlines = ["| target | goal | measured | |", "|---|---|---|---|"]
    for label, goal, measured, met in tgt:
        verdict = "" if met is None else ("**met**" if met else "**missed**")
        tlines.append(f"| {label} | {goal} | {measured} | {verdict} |")

    print()
    print("\n".join(body))
    print("Targets")
    print()
    print("\n".join(tlines))
    print()

    head = [
        "# Benchmark results",
        "",
        "Written by `bench/run.sh` (`make bench`); the daemon section by `bench/daemon.sh`.",
        "",
        f"- date: {meta.get('date')}",
        f"- command: `{meta.get('command')}`",
        f"- settings: `{meta.get('env')}`",
        f"- machine: {meta.get('machine_cores')} cores, {meta.get('machine_cpu')}, {meta.get('machine_ram')} RAM, "
        f"{meta.get('machine_kernel')}, {meta.get('machine_distro')}",
        f"- load average at start: {meta.get('machine_load')}" + (f". {meta['note']}" if meta.get("note") else ""),
        f"- tools: {meta.get('skopeo')}; {meta.get('registry')}; ours: {meta.get('ours_binary')}, "
        f"tree `{meta.get('git')}`",
        f"- bench run time: {int(meta.get('elapsed_s', 0)) // 60} min {int(meta.get('elapsed_s', 0)) % 60} s "
        "(without the daemon section)",
        "",
        "Method:",
        "",
        "- Two `docker-registry` processes on 127.0.0.1: A holds the workload (pushed once per run by"
        " `imagegen`: real tar+gzip layers of random bytes), B is a fresh, empty registry for every tool"
        " and round (new process, new storage), so every first sync starts from nothing; the no-op"
        " re-sync then runs against the B that tool just filled.",
        "- Each round runs every tool once, the order rotated from round to round (ours, skopeo loop,"
        " skopeo sync; then skopeo loop, skopeo sync, ours; ...). Figures are medians of the runs"
        " that succeeded; the per-round wall times are listed.",
        f"- ours: `{meta.get('ours_cmd')}`",
        f"- skopeo copy loop: `{meta.get('skopeo_loop_cmd')}` (sequential)",
        f"- skopeo sync: `{meta.get('skopeo_sync_cmd')}`",
        "- Wall time: the elapsed time of the command; peak RSS: `/usr/bin/time -f %M` (for the skopeo"
        " loop, the largest of its skopeo processes).",
        "- Bytes on the wire: every tool reaches B through `linkem` (`--stats`): \"sent to B\" is"
        " linkem's `bytes_up` (client → B), \"from B\" its `bytes_down`, \"connections\" its"
        " `connections_accepted`. In the direct cases linkem adds no delay and no rate cap (it only"
        " counts); the 50 ms link adds 25 ms one way in each direction (`--latency-ms 25`: linkem's"
        " latency is one-way, per direction). A is reached directly and its bytes are not counted,"
        " except in the drop case, where a dropping linkem sits in front of A as well (DROP_SIDES=both)"
        " and the bytes read from A are shown.",
        "- Ratios are ours / skopeo from the medians of this one run.",
        "",
        "## Targets",
        "",
    ]
    with open(md_path, "w") as f:
        f.write("\n".join(head + tlines + ["", "## Cases", ""] + body))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Score a trustdesk binary on the held-out sets in this folder.

usage: python3 evaluate.py path/to/trustdesk [--verbose]

triage_zh.tsv / triage_en.tsv: text, category, urgent (written by hand for
this evaluation, never used for training). guard_pos.jsonl / guard_neg.jsonl:
made by gen_guard.py. Exit code 1 if anything misses the acceptance bar
(>= 93% category accuracy per language, every urgent case flagged, no guard
miss, no finding on a negative).
"""
import collections, json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(binary, args, lines):
    out = subprocess.run([binary, *args], input="\n".join(lines) + "\n", capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert len(out) == len(lines), (len(out), len(lines))
    return [json.loads(x) for x in out]


def triage(binary, verbose):
    ok_all = True
    for lang in ("zh", "en"):
        rows = []
        with open(os.path.join(HERE, f"triage_{lang}.tsv"), encoding="utf-8") as f:
            next(f)
            for line in f:
                t, c, u = line.rstrip("\n").split("\t")
                rows.append((t, c, u == "1"))
        res = run(binary, ["classify"], [r[0] for r in rows])
        per = collections.defaultdict(lambda: [0, 0])
        lang_ok = 0
        missed, false_urgent, wrong = [], [], []
        for (t, c, u), r in zip(rows, res):
            per[c][1] += 1
            if r["category"] == c:
                per[c][0] += 1
            else:
                wrong.append((t, c, r["category"], r.get("confidence")))
            if r["language"] == lang:
                lang_ok += 1
            if u and not r["urgent"]:
                missed.append(t)
            if r["urgent"] and not u:
                false_urgent.append(t)
        n = len(rows)
        acc = sum(v[0] for v in per.values()) / n
        nu = sum(1 for r in rows if r[2])
        print(f"[{lang}] category accuracy {acc:.3f} ({n - len(wrong)}/{n}); language {lang_ok}/{n}; "
              f"urgent recall {nu - len(missed)}/{nu}; false urgent {len(false_urgent)}")
        print("   " + "  ".join(f"{c} {v[0]}/{v[1]}" for c, v in sorted(per.items())))
        for t in missed:
            print(f"   MISSED URGENT: {t}")
        if verbose:
            for t in false_urgent:
                print(f"   false urgent: {t}")
            for t, c, p, conf in wrong:
                print(f"   wrong: {c} -> {p} ({conf:.2f}): {t}")
        ok_all &= acc >= 0.93 and not missed
    return ok_all


def guard(binary, verbose):
    ok_all = True
    for name, positive in (("guard_pos.jsonl", True), ("guard_neg.jsonl", False)):
        cases = [json.loads(l) for l in open(os.path.join(HERE, name), encoding="utf-8")]
        res = run(binary, ["guard", "scan"], [c["text"] for c in cases])
        bad = []
        for c, r in zip(cases, res):
            got = sorted((f["kind"], f["action"]) for f in r["findings"])
            want = sorted((e["kind"], e["action"]) for e in c["expect"])
            leaked = [s for s in c.get("secret", []) if s in r["redacted"]]
            if positive:
                if all(a == "warn" for _, a in want):  # bad checksum: warn, nothing else
                    fine = got == want and not leaked
                else:
                    fine = set(want) <= set(got) and not leaked
            else:
                fine = not got
            if not fine:
                bad.append((c, got, leaked, r["redacted"]))
        kind = "misses" if positive else "false positives"
        print(f"[guard {'positives' if positive else 'negatives'}] {len(cases) - len(bad)}/{len(cases)} ok; "
              f"{kind}: {len(bad)}")
        for c, got, leaked, red in bad:
            print(f"   {c.get('note', '')}: got {got} leaked {leaked}")
            if verbose:
                print(f"      text: {c['text'][:160]}\n      redacted: {red[:160]}")
        ok_all &= not bad
    return ok_all


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    verbose = "--verbose" in sys.argv
    a = triage(sys.argv[1], verbose)
    b = guard(sys.argv[1], verbose)
    sys.exit(0 if a and b else 1)

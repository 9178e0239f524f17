#!/usr/bin/env python3
"""Plots p99 customer->agent latency against offered rate (the knee) from
the chat sweeps recorded in docs/bench/results/*.jsonl.

    python3 docs/bench/knee.py   # writes docs/bench/knee.png
"""
import json
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = pathlib.Path(__file__).parent
SERIES = [
    ("chat-before.jsonl", "trustdesk", "trustdesk, before optimisations", "tab:red", "--"),
    ("chat-after.jsonl", "trustdesk", "trustdesk, after 4cc9ec8", "tab:orange", "--"),
    ("chat-final.jsonl", "trustdesk", "trustdesk, session 1 (772765f)", "tab:blue", "--"),
    ("chat-after-routing.jsonl", "trustdesk", "trustdesk, session 2 (routing, SLA, 2FA joined)", "tab:gray", ":"),
    ("chat-session3.jsonl", "trustdesk", "trustdesk, session 3 (writer cache, one trip)", "tab:purple", "-"),
    ("chat-session3.jsonl", "relay", "bare tokio relay (ceiling, session 3 run)", "tab:green", ":"),
    ("chat-session4.jsonl", "trustdesk", "trustdesk, session 4 (writer thread, TCP_NODELAY, linger)", "tab:brown", "-"),
    ("chat-session4.jsonl", "relay", "bare tokio relay (ceiling, session 4 run)", "tab:green", "-"),
    # Issue 18, 2026-12-07: the same build with SQLite's own checkpoints
    # (checkpoint_pages = 0) and with the background checkpoints.
    ("issue18-checkpoint-ab-2026-12-07.jsonl", "trustdesk", "issue 18: checkpoints in the commit (SQLite's default)", "tab:pink", "--",
     {"checkpoint_pages": 0, "sitting": "1: 2k,5k,8k"}),
    ("chat-issue18-2026-12-07.jsonl", "trustdesk", "issue 18: background checkpoints (default)", "black", "-",
     {"hard_cap_multiple": 2}),
    ("chat-issue18-2026-12-07.jsonl", "relay", "bare tokio relay (ceiling, issue 18 run)", "tab:olive", "-",
     {"hard_cap_multiple": 2}),
]


def best(path, target, only=None):
    """Best p99 per offered rate over the repeated runs in one file (the
    lines whose fields match `only`)."""
    points = {}
    for line in (HERE / "results" / path).read_text().splitlines():
        d = json.loads(line)
        if d.get("scenario") != "chat" or d["target"] != target:
            continue
        if any(d.get(k) != v for k, v in (only or {}).items()):
            continue
        rate = d["offered_msg_s"]
        p99 = d["p99_ms"] if d["delivered"] else float("nan")
        if rate not in points or p99 < points[rate][0]:
            points[rate] = (p99, d["achieved_msg_s"])
    return sorted((r, p, a) for r, (p, a) in points.items())


fig, ax = plt.subplots(figsize=(12, 5))
for path, target, label, color, style, *only in SERIES:
    if not (HERE / "results" / path).exists():
        continue
    pts = best(path, target, only[0] if only else None)
    ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", color=color, label=label)
ax.axhline(20, color="gray", linestyle=":", label="target p99 = 20 ms")
ax.axvline(5000, color="gray", linestyle="-.", linewidth=0.8, label="target 5k msg/s")
ax.set_xlabel("offered rate (messages/s, open loop)")
ax.set_ylabel("p99 customer→agent latency (ms, log)")
ax.set_yscale("log")
ax.set_title("trustdesk chat: p99 vs offered rate\nserver on 1 core (taskset -c 0), bench on the other; shared machine")
ax.grid(True, which="both", alpha=0.3)
ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
fig.tight_layout()
fig.savefig(HERE / "knee.png", dpi=110)
print("wrote", HERE / "knee.png")

#!/usr/bin/env python3
"""Validate the starter knowledge base (kb/starter/{en,zh}/*.md).

Checks: front matter present with exactly the six fields, valid category and
locale, locale matches the folder, kebab-case ASCII slug equal to the file
name, slug unique per locale, published: true, tags a non-empty [a, b] list,
body length (en: 150-500 words; zh: 300-900 characters, whitespace excluded),
at least 4 articles per category and locale, and every article in INDEX.md.
Usage: python3 kb/check_front_matter.py  (exit status 1 on any problem)
"""
import os, re, sys, collections

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "starter")
FIELDS = ["title", "slug", "category", "locale", "tags", "published"]
CATEGORIES = {"account", "trading", "transfer", "security", "storage", "compliance"}
LOCALES = {"en", "zh"}
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

problems = []
counts = collections.Counter()
slugs = collections.defaultdict(set)
articles = []

def bad(path, msg):
    problems.append(f"{path}: {msg}")

for locale in sorted(LOCALES):
    folder = os.path.join(ROOT, locale)
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".md"):
            continue
        path = os.path.join(folder, name)
        text = open(path, encoding="utf-8").read()
        m = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
        if not m:
            bad(path, "no front matter block"); continue
        fm, body = m.group(1), m.group(2)
        meta = {}
        keys = []
        for line in fm.split("\n"):
            k, sep, v = line.partition(":")
            if not sep:
                bad(path, f"bad front-matter line {line!r}"); continue
            keys.append(k.strip()); meta[k.strip()] = v.strip()
        if keys != FIELDS:
            bad(path, f"fields {keys} != {FIELDS}")
        if not meta.get("title"):
            bad(path, "empty title")
        if meta.get("category") not in CATEGORIES:
            bad(path, f"bad category {meta.get('category')!r}")
        if meta.get("locale") != locale:
            bad(path, f"locale {meta.get('locale')!r} not {locale!r}")
        slug = meta.get("slug", "")
        if not SLUG_RE.match(slug):
            bad(path, f"slug {slug!r} not kebab-case ASCII")
        if slug + ".md" != name:
            bad(path, f"slug {slug!r} does not match file name")
        if slug in slugs[locale]:
            bad(path, f"duplicate slug {slug!r}")
        slugs[locale].add(slug)
        if meta.get("published") != "true":
            bad(path, "published is not true")
        tags = meta.get("tags", "")
        if not (tags.startswith("[") and tags.endswith("]") and tags[1:-1].strip()):
            bad(path, f"tags not a non-empty list: {tags!r}")
        if locale == "en":
            n = len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’.-]*", body))
            if not 150 <= n <= 500:
                bad(path, f"body {n} words, want 150-500")
        else:
            n = len(re.sub(r"\s", "", body))
            if not 300 <= n <= 900:
                bad(path, f"body {n} chars, want 300-900")
            if len(re.findall(r"[\u4e00-\u9fff]", body)) < 200:
                bad(path, "body does not look Chinese")
        counts[(locale, meta.get("category"))] += 1
        articles.append((locale, meta.get("category"), slug, meta.get("title")))

for locale in sorted(LOCALES):
    for c in sorted(CATEGORIES):
        if counts[(locale, c)] < 4:
            problems.append(f"{locale}/{c}: only {counts[(locale, c)]} articles, want >= 4")

index = os.path.join(ROOT, "INDEX.md")
if os.path.exists(index):
    idx = open(index, encoding="utf-8").read()
    for locale, cat, slug, title in articles:
        if f"| {locale} | {cat} | {slug} |" not in idx:
            problems.append(f"INDEX.md: missing {locale}/{slug}")
else:
    problems.append("INDEX.md missing")

print("articles per locale x category:")
for locale in sorted(LOCALES):
    row = ", ".join(f"{c}={counts[(locale, c)]}" for c in sorted(CATEGORIES))
    print(f"  {locale}: {row}; total={sum(v for (l, _), v in counts.items() if l == locale)}")
for p in problems:
    print("PROBLEM", p)
sys.exit(1 if problems else 0)

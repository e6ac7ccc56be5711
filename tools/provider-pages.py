#!/usr/bin/env python3
"""Writes the book's provider pages (book/src/providers/*.md) from the
shipped packs: for every receiver or filter, how it is recognised, what to
do when it refuses, and a table of its codes and messages (an example
reply, the cause, the reason, how sure, what to do, the source).

The pages are generated so they cannot drift from the rules: after changing
a pack, run

    python3 tools/provider-pages.py          # rewrite the pages
    python3 tools/provider-pages.py --check  # exit 1 if a page is stale (CI)
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKS = [os.path.join(ROOT, "rulesets", "providers"), os.path.join(ROOT, "rulesets", "core")]
OUT = os.path.join(ROOT, "book", "src", "providers")

FAMILIES = [
    ("mailbox-providers", "Mailbox providers: Gmail, Microsoft, Yahoo/AOL, Apple",
     ["gmail", "microsoft", "yahoo", "apple"]),
    ("isps", "Internet providers: Comcast, Cox, Spectrum, AT&T, Verizon, Shaw, Telstra, EarthLink, Optimum, NetZero/Juno",
     ["comcast", "cox", "spectrum", "att", "verizon", "shaw", "telstra", "earthlink", "optimum", "unitedonline"]),
    ("europe", "Europe: Orange, La Poste, Free, SFR, GMX/WEB.DE, T-Online, IONOS, OVH, Seznam, Libero, I.UA, BT, Virgin Media, Swisscom, Proximus, Aruba, Interia, WP/o2",
     ["orange", "laposte", "free", "sfr", "gmx", "tonline", "ionos", "ovh", "seznam", "libero", "iua", "bt", "virginmedia", "swisscom", "proximus", "aruba", "interia", "wp"]),
    ("asia-russia", "Russia and Asia: Mail.ru, Yandex, Rambler, QQ, NetEase, Sina, Naver, Daum, NTT docomo, au by KDDI, BIGLOBE, Yahoo! JAPAN, Alibaba Mail",
     ["mailru", "yandex", "rambler", "qq", "netease", "coremail", "sina", "naver", "daum", "docomo", "kddi", "biglobe", "yahoojp", "aliyun"]),
    ("hosting", "Hosted mail and forwarding: GoDaddy, Locaweb, Zoho, Fastmail, Proton, Rackspace, Titan, ImprovMX, Forward Email, SimpleLogin, MXroute, Infomaniak, Hostpoint, Cloudflare Email Routing, Gandi, STRATO, Bluehost, BlueTie, ALL-INKL, DreamHost, Runbox, IceWarp Server",
     ["godaddy", "locaweb", "transip", "zoho", "fastmail", "proton", "rackspace", "titan", "improvmx", "forwardemail", "simplelogin", "mxroute", "infomaniak", "hostpoint", "cloudflare", "gandi", "strato", "bluehost", "bluetie", "allinkl", "dreamhost", "runbox", "icewarp"]),
    ("filters", "Filters, gateways and relays: Proofpoint, Mimecast, Barracuda, Cisco, Trend Micro, Sophos, SpamExperts, Symantec/Broadcom, Hornetsecurity, Forcepoint, NoSpamProxy, Vade, MailChannels, SPFBL",
     ["proofpoint", "mimecast", "barracuda", "cisco", "trendmicro", "sophos", "spamexperts", "messagelabs", "hornetsecurity", "forcepoint", "nospamproxy", "vade", "mailchannels", "spfbl"]),
    ("esps", "Sending services: Amazon SES, SendGrid, Mailgun, Postmark, SparkPost, Mailchimp Transactional, Mailjet, Brevo, SMTP2GO, Elastic Email, Resend, MailerSend, ZeptoMail, SocketLabs, Mailtrap",
     ["ses", "sendgrid", "mailgun", "postmark", "sparkpost", "mandrill", "mailjet", "brevo", "smtp2go", "elasticemail", "resend", "mailersend", "zeptomail", "socketlabs", "mailtrap"]),
    ("applications", "Applications that take mail in: Discourse, Facebook",
     ["discourse", "facebook"]),
]

CONFIDENCE = {"certain": "certain", "high": "high", "medium": "medium", "low": "low"}

STRING = r'"(?:[^"\\]|\\.)*"'


def strings(text):
    return [bytes(s[1:-1], "utf-8").decode("unicode_escape") if "\\" in s else s[1:-1]
            for s in re.findall(STRING, text)]


def blocks(text, keyword):
    """(name, body) of every top-level `keyword name { ... }` item."""
    out = []
    for m in re.finditer(r"^%s\s+([A-Za-z0-9_]+)\s*\{" % keyword, text, re.M):
        i = m.end()
        depth, in_str, in_re = 1, False, False
        while i < len(text) and depth:
            c = text[i]
            if in_str:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c == "#":
                i = text.find("\n", i)
                if i < 0:
                    break
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            i += 1
        out.append((m.group(1), text[m.end():i - 1]))
    return out


FIELDS = ["provider", "category", "reason", "confidence", "priority", "when", "capture",
          "diagnosis", "check", "fix", "prevent", "escalate", "refs", "example",
          "counterexample", "title", "description", "counts_as", "retry", "concerns"]


def fields(body):
    """Field name -> its raw text (a field runs until the next field name at
    the start of a line)."""
    out = {}
    current = None
    for line in body.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word = stripped.split()[0]
        if word in FIELDS:
            current = word
            rest = stripped[len(word):].strip()
            out.setdefault(current, []).append(rest)
        elif current:
            out[current].append(stripped)
    return {k: " ".join(v) for k, v in out.items()}


def load():
    providers, rules, categories = {}, [], {}
    for pack in PACKS:
        for name in sorted(os.listdir(pack)):
            if not name.endswith(".bdx"):
                continue
            text = open(os.path.join(pack, name), encoding="utf-8").read()
            for pname, body in blocks(text, "provider"):
                providers[pname] = fields(body)
            for cname, body in blocks(text, "category"):
                categories[cname] = fields(body)
            for rname, body in blocks(text, "rule"):
                f = fields(body)
                f["name"] = rname
                f["file"] = name
                rules.append(f)
    return providers, rules, categories


def cell(s, limit=None):
    s = s.replace("|", "\\|").replace("\n", " ")
    if limit and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return s


def middle_cut(s, limit):
    """A long reply with its middle cut out: codes stand at the ends."""
    s = s.replace("|", "\\|").replace("\n", " ").replace("`", "'")
    if len(s) <= limit:
        return s
    head = limit * 2 // 5
    return s[:head].rstrip() + " … " + s[-(limit - head - 3):].lstrip()


def reason_of(rule, cat):
    """The rule's reason, else its category's (`cat`, the category's fields)."""
    if rule.get("reason"):
        return rule["reason"].split()[0]
    return cat.get("reason", "").split()[0] if cat.get("reason") else ""


def category_cell(name, cat):
    """The rule's category, and the cause it reports when it `counts_as` one."""
    counts = (cat.get("counts_as", "").split() or [""])[0]
    return f"{name} ({counts})" if counts else name


def host_words(when):
    hosts = re.findall(r'"(\.[^"]+)"', when or "")
    return hosts


def page(slug, title, names, providers, rules, categories):
    o = [f"# {title}\n",
         "Generated from the shipped packs by `tools/provider-pages.py`: each table is the provider's own rules, "
         "one row per rule, with an example of the reply it answers (documentation addresses), the cause and "
         "standard reason it gives, how sure it is, the first step to take, and the source the rule was written "
         "from. The general steps of each cause (the category) are added to every diagnosis; a provider's own "
         "steps are added to answers about the delivery (its judgment of your mail or your sending), not to those "
         "about the recipient's mailbox, your own account or its own system's faults, unless the provider says so "
         "([What an answer concerns](../language.md#what-an-answer-concerns)); "
         "`bouncedx diagnose \"<reply>\"` shows them all.\n"]
    for name in names:
        p = providers.get(name)
        if p is None:
            continue
        ptitle = (strings(p.get("title", "")) or [name])[0]
        own = [r for r in rules if (r.get("provider", "").split() or [""])[0] == name]
        o.append(f"## {ptitle} (`{name}`)\n")
        hosts = host_words(p.get("when", ""))
        o.append("**Recognised by**: " + (
            "the receiving host (" + ", ".join(f"`*{h}`" for h in hosts[:6]) + ") or " if hosts else "")
            + "its own words and codes in the reply (`provider " + name + "` in `rulesets/providers/`).\n")
        serves = [w.strip() for w in p.get("concerns", "delivery").split(",") if w.strip()]
        also = [{"mailbox": "the recipient's mailbox", "account": "your own account",
                 "system": "its own system's faults"}[w]
                for w in serves if w != "delivery"]
        scope = f" (also added to answers about {', '.join(also[:-1]) + ' and ' if len(also) > 1 else ''}{also[-1]})" if also else ""
        if p.get("escalate"):
            o.append("**Escalate**" + scope + ": " + " ".join(strings(p["escalate"])) + "\n")
        if p.get("fix"):
            o.append("**Its own steps**" + scope + ": " + " ".join(strings(p["fix"])) + "\n")
        refs = strings(p.get("refs", ""))
        if refs:
            o.append("**Postmaster pages**: " + ", ".join(f"<{r}>" for r in refs) + "\n")
        if not own:
            o.append("No published code table could be read for this provider; the core rules diagnose its replies by their words, and name the provider.\n")
            continue
        o.append(f"{len(own)} rules.\n")
        o.append("| reply (example) | cause | reason | confidence | first step | source |")
        o.append("| --- | --- | --- | --- | --- | --- |")
        for r in own:
            ex = (strings(r.get("example", "")) or [""])[0]
            rcat = r.get("category", "").split()[0] if r.get("category") else ""
            cat = categories.get(rcat, {})
            # the rule's steps, else its category's (a category such as
            # `helo` carries the steps its rules share), else the diagnosis
            fix = (strings(r.get("fix", "")) or strings(cat.get("fix", ""))
                   or strings(r.get("diagnosis", "")) or [""])[0]
            # `{recipient|the address}`: the page names the placeholder, not its wording
            fix = re.sub(r"\{([A-Za-z0-9_]+)\|[^}]*\}", r"{\1}", fix)
            src = (strings(r.get("refs", "")) or [""])[0]
            site = re.sub(r"^https?://(www\.)?", "", src).split("/")[0]
            src_cell = f"[{cell(site)}]({src})" if src else ""
            conf = (r.get("confidence", "").split() or ["-"])[0]
            o.append(
                f"| `{middle_cut(ex, 110)}` | {cell(category_cell(rcat, cat))} | {reason_of(r, cat)} "
                f"| {conf} | {cell(fix, 120)} | {src_cell} |"
            )
        o.append("")
    return "\n".join(o).rstrip() + "\n"


def index(providers, rules):
    o = ["# Receivers and filters\n",
         "The `providers` pack knows each large receiver, mail filter and sending service by its hosts, tokens "
         "and wording, and holds its published codes and messages: what each means, what to do, and where that "
         "is written. A provider's rule outranks a generic one of the same confidence, and its steps (dashboards, "
         "delisting forms, postmaster contacts) are added to the diagnosis.\n",
         "The provider is recognised in two steps. First the input's own fields: the host that replied (from the "
         "log line, the DSN's `Remote-MTA`, the reply's `host ... said:`). Only when no field names a provider is "
         "the text read, providers in file order. So a sending service's reply that quotes an address at gmail.com "
         "stays the service's, and Gmail's text token is the word `gmail`, not any `@gmail.com` address.\n",
         "Every rule was written from a published source named in its `refs`: the receiver's own postmaster or "
         "error-code pages, and openly licensed tables (Sisimai's `Rhost` modules, BSD-2; KumoMTA's bounce "
         "classifier, Apache-2.0). None was written from test bounces: those are what the rules are measured with "
         "([bouncedx eval](../eval.md)).\n",
         "| family | providers | rules |", "| --- | --- | --- |"]
    for slug, title, names in FAMILIES:
        present = [n for n in names if n in providers]
        count = sum(1 for r in rules if (r.get("provider", "").split() or [""])[0] in present)
        o.append(f"| [{title.split(':')[0]}]({slug}.md) | {', '.join(present)} | {count} |")
    o.append(f"\n{len(providers)} providers, "
             f"{sum(1 for r in rules if r.get('provider'))} provider rules in all.\n")
    return "\n".join(o)


def main():
    providers, rules, categories = load()
    pages = {"README.md": index(providers, rules)}
    for slug, title, names in FAMILIES:
        pages[slug + ".md"] = page(slug, title, names, providers, rules, categories)
    known = {n for _, _, names in FAMILIES for n in names}
    missing = sorted(set(providers) - known)
    if missing:
        sys.exit("providers in no family (add them to FAMILIES): " + ", ".join(missing))
    check = "--check" in sys.argv
    stale = []
    os.makedirs(OUT, exist_ok=True)
    for name, text in pages.items():
        path = os.path.join(OUT, name)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            stale.append(name)
            if not check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    if check and stale:
        sys.exit("stale provider pages (run python3 tools/provider-pages.py): " + ", ".join(stale))
    print(f"{len(pages)} pages, {len(providers)} providers" + (f"; rewrote {', '.join(stale)}" if stale and not check else ""))


if __name__ == "__main__":
    main()

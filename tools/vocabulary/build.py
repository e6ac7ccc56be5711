#!/usr/bin/env python3
"""Builds rulesets/core/vocabulary.bdx from tools/vocabulary/phrases.tsv.

phrases.tsv holds, per standard bounce reason, the words by which MTAs and
filters say it, each row with its source (Sisimai's reason and MTA tables,
BSD-2; KumoMTA's bounce classifier, Apache-2.0; the reject and bounce
strings of Postfix, qmail, Exim, Sendmail, OpenSMTPD, Courier, Haraka,
the common filters and greylisters, and the mailbox servers, read in their
sources; the RFCs) and a note: `explicit` (the words name the
cause), `ambiguous: ...`, `generic`, `status rule`. Only explicit rows are
used: one phrase set and one rule per reason, at `medium` confidence and a
low priority, so a rule of the pack that knows more (a provider's code, a
status) still wins, and a reply with no code at all is still read.

The build counts the same words from two sources once, drops what the
compiler's lints flag (a phrase that is already a trigger of another
category, a one-word trigger, a regex that could be a literal), then picks
for each rule an example that the rule answers (one of its own phrases,
alone); a reason whose phrases never win gets no rule. Run it from the repository root after changing phrases.tsv:

    python3 tools/vocabulary/build.py [path/to/bouncedx]

and review the diff of rulesets/core/vocabulary.bdx.
"""

import json
import re
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TSV = os.path.join(ROOT, "tools", "vocabulary", "phrases.tsv")
OUT = os.path.join(ROOT, "rulesets", "core", "vocabulary.bdx")
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "bouncedx")

# reasons about the recipient's address or mailbox: their rules skip replies
# that name the sender's side (core's `sender_side` phrases)
RECIPIENT_SIDE = {"userunknown", "hostunknown", "suspend", "mailboxfull", "notaccept"}

# words that undo a reason's phrases: a server that "does not accept mail
# without" something states a condition on the message (Courier: "...
# without the required MIME headers"), and one that "does not accept mail
# data" (msmtp's words for a refused DATA) a refused message, not a domain
# that takes no mail. "Could not be delivered for more than 4 hour(s)" is
# Sendmail's expiry (envelope.c) and Postfix's delay warning alike
# (bounce_template.c: "It will be retried until it is 5 day(s) old"):
# beside a line that says the MTA keeps trying it is no expiry. A name
# server that failed (the resolver's NO_RECOVERY, "non-recoverable
# error" in Postfix's dns_strerror.c and Sendmail's "Host unknown (Name
# server: ...: non-recoverable error)") says nothing of whether the
# domain exists, as core/domain_unknown reads it. Exim's failed sender
# callouts explain "This host does not accept mail from domains whose
# servers reject the postmaster address" (or "refuse bounces"): the
# sender's domain, not a recipient domain without mail
UNLESS = {
    "notaccept": ["does not accept mail without", "does not accept mail data", "does not accept mail from domains whose servers"],
    "hostunknown": ["non-recoverable error"],
    "expired": ["will be retried until", "this is a warning only", "delivery attempts will continue"],
}

# Confidence per rule where the measured share is below `medium`'s promise
# (75%): the sender refusals left after SENDER_SPLITS were right on the
# cause in 6 of 18 rows of the field sets' and audits' tune halves
# (thirty-sixth session; the collectors file a refused sender as the
# site's policy or its authentication by the words around it), so they
# answer at 0.6, below `medium`. The `filtered` rows ("Message blocked by
# a user configured filter", "Header Checks Defer") were right in 3 of 6
# tune rows (thirty-ninth session; the collectors file them as content as
# often as the site's policy): 0.5.
# A delay notice's own words say what kind of message it is, not why it
# is delayed: the reply it quotes does, and any rule that names that cause
# outranks it (as core/delay_notice, under every cause rule's confidence).
CONFIDENCE = {"rejected": "0.6", "filtered": "0.5", "delayed": "0.35"}

# The `rejected` rows hold four kinds of refused sender, told apart by
# their words (SENDER_SPLITS, tried in order). A sender domain without
# usable DNS (no MX or A records, a null MX, a domain that does not exist),
# which KumoMTA files as AuthenticationFailed and the collectors'
# conventions as `authentication` (the receiver cannot verify who sent it,
# nor return a bounce), goes to `vocabulary_sender_domain`, in category
# authentication with reason rejected, as core/sender_domain_unresolvable
# answers the same words.
SENDER_DOMAIN_DNS = re.compile(
    r"\bmx\b|\bdns\b|dns-|resolv|not exists?\b|must exist|domain not found|unroutable|a, aaaa"
    r"|dead domain|null ?mx|valid domain|valid sender domain|real domain",
    re.I,
)

# The rest of the refused senders split the same way by what their words
# say: the sender named on a block list ("mailfrom domain is listed in
# spamhaus", "sender domain listed at") is `blacklist`; a site's rule on
# which senders it takes (null senders and bounces, "sender not
# pre-approved", "mail from you is not allowed here", "rejected for policy
# reasons") is the receiving organisation's policy, `org_policy`, as
# core/sender_refused_by_policy answers; what is wrong with the address
# itself (does not verify, bad syntax, unknown) stays the sender's.
SENDER_LISTED = re.compile(r"\blisted\b|blacklisted|blocked using")
SENDER_POLICY = re.compile(
    r"not allowed|not accepted|cannot send mail here|not pre-approved|null senders?|bounces"
    r"|for policy reasons|policy rejection|not a registered|sender addresses using capital",
    re.I,
)
SENDER_SPLITS = (
    ("sender_domain", SENDER_DOMAIN_DNS),
    ("sender_listed", SENDER_LISTED),
    ("sender_policy", SENDER_POLICY),
)

# The `onhold` rows hold two kinds of deferral: a receiver's temporary hold
# (greylisting, a scan in progress), and a sending MTA's own delay notice
# ("Delivery attempts will continue", "has not yet been delivered", a DSN
# whose Action is `delayed`, Exim's frozen message), which says the mail
# is still queued there. The notices go to `vocabulary_delayed` (category
# delayed), the rest stay greylisting.
DELAY_NOTICE = re.compile(
    r"delivery attempts will continue|not yet been delivered|action:|delay in message delivery"
    r"|temporary problem delivering|warning only|will be retried until|could not send message for past"
    r"|will keep trying|delivery time|message delayed|frozen|still undelivered",
    re.I,
)

# reason -> (category, diagnosis); a key that is not a reason names the
# reason it reports in KEY_REASON
KEY_REASON = {
    "sender_domain": "rejected",
    "sender_listed": "blocked",
    "sender_policy": "rejected",
    # a delay notice is filed as Sisimai's vocabulary files it (its Expired
    # reason covers "delivery attempts will continue to be made for"), as
    # core/delivery_still_retrying and core/delay_notice do: the category
    # says it is a delay, the reason where it will count once the queue
    # lifetime ends
    "delayed": "expired",
}
REASONS = {
    "userunknown": ("recipient", "The receiver says the address {recipient|} does not exist"),
    "hostunknown": ("recipient", "The recipient's domain does not exist or has no mail server"),
    "hasmoved": ("recipient", "The recipient's address has moved; the reply may name the new one"),
    "suspend": ("mailbox_disabled", "The recipient's mailbox is disabled or suspended"),
    "mailboxfull": ("mailbox_full", "The recipient's mailbox is full"),
    "notaccept": ("recipient", "The recipient's domain does not accept mail"),
    "suppressed": ("recipient", "The sending service suppressed the address: it bounced or complained before"),
    "blocked": ("blacklist", "The receiver blocks the sending IP or domain"),
    "badreputation": ("reputation", "The receiver refuses the mail for the sender's reputation"),
    "authfailure": ("authentication", "The message failed the receiver's authentication checks (SPF, DKIM or DMARC)"),
    "requireptr": ("authentication", "The receiver requires reverse DNS (a PTR record) for the sending IP"),
    "rejected": ("sender", "The receiver refused the sender address"),
    "sender_domain": ("authentication", "The receiver could not verify the sender's domain: it has no usable DNS records (MX or A), or does not exist"),
    "sender_listed": ("blacklist", "The receiver refused the sender address or its domain because it is on a block list"),
    "sender_policy": ("org_policy", "The receiving site's own rule refuses this sender (null senders, bounces, senders it has not approved)"),
    "norelaying": ("relay", "The server refused to relay: it does not accept mail for that domain from you"),
    "ratelimited": ("rate_limit", "The receiver limits how fast or how much you may send"),
    "spamdetected": ("content", "The receiver's filter judged the message to be spam"),
    "virusdetected": ("content", "The receiver found a virus or dangerous content in the message"),
    "contenterror": ("content", "The receiver refused the message's content or format"),
    "emailtoolarge": ("message_size", "The message is larger than the receiver accepts"),
    "policyviolation": ("org_policy", "The receiver refused the message by its own policy"),
    "filtered": ("org_policy", "The receiver's filter refused the message for this recipient"),
    "securityerror": ("submission_auth", "The server requires authentication (or a secure connection) first"),
    "onhold": ("greylisting", "The receiver deferred the message (greylisting or a temporary hold); a retry should pass"),
    "delayed": ("delayed", "The sending server has not delivered the message yet and keeps retrying: a delay warning, not a failure"),
    "systemerror": ("receiver_system", "The receiving system had an error of its own"),
    "systemfull": ("receiver_system", "The receiving system is out of space"),
    "mailererror": ("receiver_system", "The receiver's delivery program failed"),
    "networkerror": ("network", "The receiver could not be reached over the network"),
    "expired": ("expired", "Delivery was retried until the message expired in the queue"),
    "syntaxerror": ("protocol", "The receiver rejected an SMTP command's syntax"),
    # reasons.tsv files notcompliantrfc under content: the message's form
    "notcompliantrfc": ("message_format", "The message does not comply with the mail standards (RFC 5322)"),
    "failedstarttls": ("tls", "The TLS session (STARTTLS) could not be established"),
}

HEADER = """\
# core/vocabulary.bdx: how MTAs and filters word each standard reason, for
# replies no more specific rule explains (no code at all, old gateways,
# local delivery agents). GENERATED by tools/vocabulary/build.py from
# tools/vocabulary/phrases.tsv, where every phrase names its source; edit
# that file and run the script, not this one.
#
# Sources: Sisimai's reason and MTA tables (lib/Sisimai/Reason/*.pm,
# lib/Sisimai/Lhost/*.pm; BSD-2-Clause, Copyright (C) 2014-2026
# azumakuniyuki and sisimai development team), KumoMTA's bounce classifier
# (assets/community/bounces.toml; Apache-2.0, KumoCorp); the strings the
# software itself emits, read in its source: Postfix (smtpd_check.c,
# postscreen, cleanup, local, virtual), qmail, Exim 4.96 (smtp_in.c, acl.c,
# verify.c, deliver.c, appendfile.c, configure.default), Sendmail 8.17,
# OpenSMTPD 6.8, Courier, Haraka 3.3 and its plugins, Rspamd, Amavis,
# policyd-weight, pypolicyd-spf, OpenDKIM, OpenDMARC, MIMEDefang,
# spamass-milter, ClamSMTP, postgrey, sqlgrey, milter-greylist, Dovecot,
# Cyrus, Zimbra, procmail, maildrop, Exchange Server's NDR list; and
# RFC 5321, 3463, 7372, 7504, 7505, 4954.
#
# Each rule is `medium` and ranks low (priority -10): the words are
# explicit, but one MTA's wording can mean another cause at another MTA.
"""


def esc(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def load():
    rows = {}
    with open(TSV, encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 5:
                continue
            reason, phrase, kind, source, note = cols[:5]
            if reason not in REASONS or not note.startswith("explicit"):
                continue
            phrase = phrase.strip()
            if not phrase:
                continue
            if reason == "onhold" and DELAY_NOTICE.search(phrase):
                reason = "delayed"
            if reason == "rejected":
                words = phrase.replace("\\s+", " ").replace("\\s", " ")
                reason = next((key for key, said in SENDER_SPLITS if said.search(words)), reason)
            # the same words from a second source are one phrase (the lint
            # for a phrase listed twice would drop both copies); the rows
            # keep their sources in phrases.tsv
            known = rows.setdefault(reason, [])
            same = [i for i, p in enumerate(known) if p[0].lower() == phrase.lower()]
            if same:
                p = known[same[0]]
                known[same[0]] = (p[0], p[1], p[2] + " ; " + source)
                continue
            known.append((phrase, kind, source))
    return rows


def short_source(src):
    # the first URL of a row, for refs
    for part in src.replace("(", " ").replace(")", " ").split():
        if part.startswith("http"):
            return part.rstrip(",;")
    return None


def render(rows, examples, dropped):
    out = [HEADER]
    for reason, (category, diagnosis) in REASONS.items():
        phrases = [p for p in rows.get(reason, []) if (reason, p[0]) not in dropped]
        if not phrases or reason not in examples:
            continue
        items = []
        for phrase, kind, _ in phrases:
            if kind == "regex":
                items.append("/" + phrase.replace("/", "\\/") + "/")
            else:
                items.append('"' + esc(phrase) + '"')
        out.append(f"phrases vocab_{reason} = [\n  " + ",\n  ".join(items) + ",\n]\n")
        # one reference per source project (repository or site), in the
        # order the rows name them, so every project a phrase came from is
        # cited; at most eight
        refs, projects = [], set()
        for _, _, src in phrases:
            u = short_source(src)
            if not u:
                continue
            project = "/".join(u.split("/")[:5]) if "github.com/" in u else u.split("/")[2]
            if project not in projects:
                projects.add(project)
                refs.append(u)
        refs = refs[:8]
        # a reason about the recipient's address does not read a reply
        # that is about the sender's ("Sender address rejected: Domain not
        # found"): core's sender_side words (transport.bdx) keep it away
        # nor an SMTP AUTH failure (535, RFC 4954: "535 PLAIN authentication
        # failed for <user> - no such user" is the client's login)
        exclusion = " and not text has sender_side and not code 535" if reason in RECIPIENT_SIDE else ""
        if reason in UNLESS:
            exclusion += " and not text has [" + ", ".join(f'"{esc(w)}"' for w in UNLESS[reason]) + "]"
        out.append(
            f"rule vocabulary_{reason} {{\n"
            f"  category   {category}\n"
            f"  reason     {KEY_REASON.get(reason, reason)}\n"
            f"  confidence {CONFIDENCE.get(reason, 'medium')}\n"
            f"  priority   -10\n"
            f"  when       text has vocab_{reason}{exclusion}\n"
            f'  diagnosis  "{esc(diagnosis)}"\n'
            + "  refs       " + " ".join(f'"{esc(r)}"' for r in refs) + "\n"
            + f'  example    "{esc(examples[reason])}"\n'
            f"}}\n"
        )
    return "\n".join(out)


def check(rulesets):
    r = subprocess.run(
        [BIN, "check", "--format", "json", rulesets], capture_output=True, text=True
    )
    try:
        diags = json.loads(r.stdout)
    except json.JSONDecodeError:
        sys.exit(f"check gave no JSON:\n{r.stdout}\n{r.stderr}")
    return diags.get("diagnostics", []) if isinstance(diags, dict) else diags


def main():
    rows = load()
    work = tempfile.mkdtemp(prefix="bouncedx-vocab-")
    rulesets = os.path.join(work, "rulesets")
    shutil.copytree(os.path.join(ROOT, "rulesets"), rulesets)
    out = os.path.join(rulesets, "core", "vocabulary.bdx")
    dropped = set()
    # every reason gets a placeholder example first, so lints can be read
    examples = {r: ps[0][0] for r, ps in rows.items() if ps}
    for _ in range(8):
        text = render(rows, examples, dropped)
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
        diags = check(rulesets)
        flagged = 0
        for d in diags:
            code = d.get("code")
            if code in ("shadowed_rule", "missing_example"):
                continue
            file = d.get("file") or (d.get("span") or {}).get("file") or ""
            # a lint elsewhere that quotes one of our phrases (the same
            # literal is a trigger of another category there): drop ours
            msg = d.get("message", "")
            if msg.startswith('"') and msg.count('"') >= 2:
                quoted = msg[1:msg.index('"', 1)]
                for reason, ps in rows.items():
                    for p in ps:
                        if p[0].lower() == quoted.lower() and (reason, p[0]) not in dropped:
                            dropped.add((reason, p[0]))
                            flagged += 1
            if not str(file).endswith("vocabulary.bdx"):
                # a lint in another file that names one of our phrases as
                # the second place
                notes = d.get("notes") or []
                if not any(str(n.get("file", "")).endswith("vocabulary.bdx") for n in notes):
                    continue
            # find the phrase: the quoted text on the flagged line
            for loc in [d] + list(d.get("notes") or []):
                if not str(loc.get("file", "")).endswith("vocabulary.bdx"):
                    continue
                ln = loc.get("line")
                if not ln:
                    continue
                src_line = text.split("\n")[ln - 1].strip().rstrip(",")
                for reason, ps in rows.items():
                    for p in ps:
                        shown = '"' + esc(p[0]) + '"' if p[1] != "regex" else "/" + p[0].replace("/", "\\/") + "/"
                        if shown == src_line and (reason, p[0]) not in dropped:
                            dropped.add((reason, p[0]))
                            flagged += 1
        errors = [d for d in diags if d.get("severity") == "error"]
        if errors and not flagged:
            sys.exit("errors in the generated file:\n" + json.dumps(errors[:5], indent=1))
        if not flagged:
            break
    # examples: a phrase of the reason's own that the rule answers alone
    chosen = {}
    for reason in REASONS:
        cands = [p for p in rows.get(reason, []) if (reason, p[0]) not in dropped and p[1] != "regex"]
        for phrase, _, _ in cands[:40]:
            r = subprocess.run(
                [BIN, "diagnose", "--format", "json", "--no-default-rules", "--rules", rulesets, phrase],
                capture_output=True, text=True,
            )
            try:
                d = json.loads(r.stdout)
            except json.JSONDecodeError:
                continue
            if d.get("rule") == f"core/vocabulary_{reason}":
                chosen[reason] = phrase
                break
    text = render(rows, chosen, dropped)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    diags = check(rulesets)
    left = [d for d in diags if d.get("severity") == "error" or d.get("code") not in (None,)]
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {OUT}: {len(chosen)} rules; {len(dropped)} phrases dropped by lints")
    for reason, phrase in sorted(dropped):
        print(f"  dropped: {reason}: {phrase}")
    for d in left[:20]:
        print(" ", d.get("severity"), d.get("code"), d.get("message"), d.get("file"), d.get("line"))
    missing = [r for r in REASONS if r not in chosen and rows.get(r)]
    if missing:
        print("no rule (no phrase of theirs wins alone):", ", ".join(missing))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Scores Sisimai on the same labelled bounce folders `bouncedx eval` reads.

A folder holds `emails/` and an `expected.tsv` (file, rcpt_index, category
and/or reason). Sisimai (Perl) reads each e-mail; the result at the row's
recipient index is compared with the label: its reason as it stands, its
category by the mapping below (the groups of `reference/reasons.tsv`, with
policyviolation as `org_policy` as bouncedx files it; a reason outside the
seven named causes, or no result at all, counts as `other`, as `eval`
counts bouncedx's answers).

    PERL5LIB=/path/to/Sisimai/lib python3 bench/peer-sisimai.py FOLDER...

Debian's `libsisimai-perl` gives Sisimai 4.25 in stable and 5.7.2 in sid
(`apt-get download libsisimai-perl=5.7.2-1 libclass-accessor-lite-perl
libjson-perl`, then `dpkg-deb -x` each into one directory and point
PERL5LIB at its `usr/share/perl5`). book/src/eval.md quotes the figures.
"""

import csv
import os
import subprocess
import sys

CATEGORY = {
    "userunknown": "recipient", "hostunknown": "recipient", "hasmoved": "recipient",
    "suspend": "recipient", "mailboxfull": "recipient", "notaccept": "recipient",
    "suppressed": "recipient", "blocked": "blacklist", "badreputation": "reputation",
    "authfailure": "authentication", "requireptr": "authentication",
    "ratelimited": "rate_limit", "spamdetected": "content", "virusdetected": "content",
    "contenterror": "content", "emailtoolarge": "content", "notcompliantrfc": "content",
    "filtered": "content", "policyviolation": "org_policy",
}
NAMED = set(CATEGORY.values())

RISE = r"""
use strict; use warnings; use Sisimai;
my $dir = shift; opendir(my $dh, $dir) or die "$dir: $!";
for my $f (sort grep { -f "$dir/$_" } readdir $dh) {
  my $v = eval { Sisimai->rise("$dir/$f", 'delivered' => 1, 'vacation' => 1) } || [];
  my $i = 0;
  printf "%s\t%d\t%s\n", $f, ++$i, $_->reason for @$v;
}
print STDERR "sisimai ", $Sisimai::VERSION, "\n";
"""


def main(folders):
    if not folders:
        sys.exit(__doc__)
    total = {"category": [0, 0], "reason": [0, 0]}
    for folder in folders:
        run = subprocess.run(["perl", "-e", RISE, os.path.join(folder, "emails")],
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"{folder}: perl failed: {run.stderr.strip()}")
        found = {}
        for line in run.stdout.splitlines():
            name, index, reason = line.split("\t")
            found[(name, int(index))] = reason
        score = {"category": [0, 0], "reason": [0, 0]}
        with open(os.path.join(folder, "expected.tsv"), encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                reason = found.get((row["file"], int(row["rcpt_index"])), "none")
                if row.get("reason"):
                    score["reason"][1] += 1
                    score["reason"][0] += reason == row["reason"]
                if row.get("category"):
                    got = CATEGORY.get(reason, "other")
                    want = row["category"]
                    score["category"][1] += 1
                    score["category"][0] += (got not in NAMED) if want == "other" else got == want
        parts = [f"{k} {a}/{n}" for k, (a, n) in score.items() if n]
        print(f"{folder}: {'; '.join(parts)}  ({run.stderr.strip()})")
        for k in total:
            total[k][0] += score[k][0]
            total[k][1] += score[k][1]
    print("all: " + "; ".join(f"{k} {a}/{n} = {100 * a / n:.1f}%" for k, (a, n) in total.items() if n))


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env bash
# Compares `bouncedx scan` with Sisimai (Debian's libsisimai-perl) on the
# Sisimai corpus repeated to at least 3,000 files, whole process, and measures
# `scan` on a Postfix log where most lines are not rejections.
#
#   bench/scan-vs-sisimai.sh            # needs ../shared/corpus/sisimai
#
# Installs libsisimai-perl and hyperfine with apt when they are missing.
# Figures go to stdout; book/src/performance.md quotes them.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpus/sisimai/emails
[ -d "$corpus" ] || { echo "SKIPPED: $corpus is absent"; exit 0; }
if ! perl -MSisimai -e1 2>/dev/null || ! command -v hyperfine >/dev/null; then
  apt-get install -y -qq libsisimai-perl hyperfine >/dev/null
fi
cargo build --release -q
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
copies=7
mkdir -p "$work/mail"
# one flat folder: Sisimai reads a folder's files, not its subfolders
for i in $(seq 1 $copies); do
  for f in "$corpus"/*.eml; do cp "$f" "$work/mail/$i-$(basename "$f")"; done
done
files=$(find "$work/mail" -type f | wc -l)
cat > "$work/sisimai.pl" <<'PERL'
use Sisimai;
my $v = Sisimai->make($ARGV[0]) || [];
printf "%d results\n", scalar @$v;
PERL
echo "== $files bounce e-mails (the corpus x$copies), whole process"
echo "bouncedx: $(./target/release/bouncedx scan --no-progress "$work/mail" | wc -l) results"
echo "sisimai $(perl -MSisimai -e 'print $Sisimai::VERSION'): $(perl "$work/sisimai.pl" "$work/mail")"
hyperfine --warmup 1 --runs 5 --export-markdown "$work/mail.md" \
  -n bouncedx "./target/release/bouncedx scan --no-progress $work/mail > /dev/null" \
  -n "bouncedx -j1" "./target/release/bouncedx scan --no-progress -j 1 $work/mail > /dev/null" \
  -n sisimai "perl $work/sisimai.pl $work/mail > /dev/null"
cat "$work/mail.md"

echo
echo "== Postfix log, 2,000,000 lines, 1 in 50 a rejection"
python3 - "$work/mail.log" <<'PY'
import sys
noise = [
  "Nov 26 10:00:{s:02d} mta1 postfix/smtpd[4501]: connect from client{n}.example.org[203.0.113.{o}]",
  "Nov 26 10:00:{s:02d} mta1 postfix/qmgr[550]: 3F2A{n:04X}: from=<news@example.org>, size=2048, nrcpt=1 (queue active)",
  "Nov 26 10:00:{s:02d} mta1 postfix/smtp[4504]: 3F2A{n:04X}: to=<u{n}@example.com>, relay=mx.example.com[192.0.2.20]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9A{n:04X})",
  "Nov 26 10:00:{s:02d} mta1 postfix/qmgr[550]: 3F2A{n:04X}: removed",
  "Nov 26 10:00:{s:02d} mta1 postfix/smtpd[4501]: disconnect from client{n}.example.org[203.0.113.{o}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
]
bad = [
  "Nov 26 10:00:{s:02d} mta1 postfix/smtp[4502]: 3F2A{n:04X}: to=<u{n}@example.net>, relay=mx.example.net[192.0.2.10]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.10] said: 550 5.1.1 <u{n}@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))",
  "Nov 26 10:00:{s:02d} mta1 postfix/smtp[4503]: 3F2A{n:04X}: to=<u{n}@outlook.com>, relay=outlook-com.olc.protection.outlook.com[192.0.2.50]:25, delay=0.9, dsn=4.7.650, status=deferred (host outlook-com.olc.protection.outlook.com[192.0.2.50] said: 451 4.7.650 The mail server [198.51.100.7] has been temporarily rate limited due to IP reputation. (S775) (in reply to MAIL FROM command))",
]
with open(sys.argv[1], "w") as f:
    for i in range(2_000_000):
        t = bad[i % 2] if i % 50 == 0 else noise[i % len(noise)]
        f.write(t.format(s=i % 60, n=i % 65536, o=i % 250) + "\n")
PY
ls -l "$work/mail.log" | awk '{printf "%.0f MB\n", $5/1e6}'
hyperfine --warmup 1 --runs 5 --export-markdown "$work/log.md" \
  -n "bouncedx -j1" "./target/release/bouncedx scan --no-progress -j 1 $work/mail.log > /dev/null" \
  -n bouncedx "./target/release/bouncedx scan --no-progress $work/mail.log > /dev/null"
cat "$work/log.md"

echo
echo "== memory: a Postfix log in which every line is a rejection"
# The worst case for memory: every line yields a result to render and hold
# until its batch is written. Peak resident memory should not grow with the
# file; it is printed for 200,000 and 800,000 lines.
python3 - "$work/rejections.log" <<'PY'
import sys
line = ("Nov 26 10:00:{s:02d} mta1 postfix/smtp[4502]: 3F2A{n:04X}: to=<u{i}@example.net>, relay=mx.example.net[192.0.2.10]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.10] said: 550 5.1.1 <u{i}@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))")
with open(sys.argv[1], "w") as f:
    for i in range(200_000):
        f.write(line.format(s=i % 60, n=i % 65536, i=i) + "\n")
PY
cat "$work/rejections.log" "$work/rejections.log" "$work/rejections.log" "$work/rejections.log" > "$work/rejections4.log"
for f in rejections.log rejections4.log; do
  /usr/bin/time -f "$f: %M KiB peak resident, %e s" ./target/release/bouncedx scan --no-progress "$work/$f" > /dev/null
done

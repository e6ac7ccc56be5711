#!/usr/bin/env bash
# Fetches held-out sets of real bounces, other bounce tools' test data,
# into target/heldout/. Nothing of theirs is committed; the rules are never
# written from them (they measure, they do not tune).
#
# - flufl.bounce 6.0.0 (Mailman's bounce detector, Apache-2.0), from PyPI:
#   tests/heldout_flufl.rs compares the failed recipients.
# - Mail::DeliveryStatus::BounceParser 1.543 (Perl, Artistic/GPL), its
#   t/corpus from Debian's source archive: `bouncedx eval
#   target/heldout/bounceparser` scores the cause against
#   bench/heldout/bounceparser-expected.tsv, labels taken from its own test
#   files (t/*.t, std_reason per message; the assertion column says which),
#   eleven relabelled or dropped where its coarse reason contradicts the
#   message text (noted in that column).
# - bounced 0.3.0 (PyPI, MIT): its own tests/bounces and the Ruby gem
#   bounce_email's test messages it ships (bounces and non_bounces, MIT),
#   45 messages; not its flufl_bounce folder (flufl's messages again).
# - baunsu 0.2.3 (npm, MIT): tests/emails, 15 messages (Postfix DSNs of
#   eleven receivers, amavisd-new, an auto-reply, two non-bounces).
#   Labels for both: bench/heldout/{bounced,baunsu}-expected.tsv, taken
#   from their tests (status, hard bounce or not a bounce) and the message
#   texts by reasons.tsv, labelled before any bouncedx run on them.
#
# Each part says what failed and the rest goes on; the tests that need the
# data say SKIPPED without it.
set -uo pipefail
cd "$(dirname "$0")/.."
dest=target/heldout
mkdir -p "$dest"
status=0

if [ ! -d "$dest/flufl_bounce-6.0.0/tests/data" ]; then
  if python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$dest" flufl.bounce==6.0.0 &&
    tar -xzf "$dest/flufl_bounce-6.0.0.tar.gz" -C "$dest"; then
    echo "held-out bounces in $dest/flufl_bounce-6.0.0/tests/data"
  else
    echo "warning: flufl.bounce not fetched" >&2
    status=1
  fi
fi

bp="$dest/bounceparser"
if [ ! -f "$bp/expected.tsv" ]; then
  tarball=libmail-deliverystatus-bounceparser-perl_1.543+repacked.orig.tar.xz
  url="http://deb.debian.org/debian/pool/main/libm/libmail-deliverystatus-bounceparser-perl/$tarball"
  if curl -fsS -o "$dest/$tarball" "$url" &&
    tar -xJf "$dest/$tarball" -C "$dest"; then
    mkdir -p "$bp"
    rm -rf "$bp/emails"
    cp -r "$dest/Mail-DeliveryStatus-BounceParser-1.543/t/corpus" "$bp/emails"
    cp bench/heldout/bounceparser-expected.tsv "$bp/expected.tsv"
    echo "held-out bounces in $bp (score with: bouncedx eval $bp)"
  else
    echo "warning: BounceParser's corpus not fetched from $url" >&2
    status=1
  fi
fi
bd="$dest/bounced"
if [ ! -f "$bd/expected.tsv" ]; then
  if python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$dest" bounced==0.3.0 &&
    tar -xzf "$dest/bounced-0.3.0.tar.gz" -C "$dest"; then
    t="$dest/bounced-0.3.0/src/bounced/tests"
    rm -rf "$bd" && mkdir -p "$bd/emails"
    cp "$t"/bounce_email/bounces/* "$t"/bounce_email/non_bounces/* "$t"/bounces/* "$bd/emails/"
    cp bench/heldout/bounced-expected.tsv "$bd/expected.tsv"
    echo "held-out bounces in $bd (score with: bouncedx eval $bd)"
  else
    echo "warning: bounced 0.3.0 not fetched from PyPI" >&2
    status=1
  fi
fi

bs="$dest/baunsu"
if [ ! -f "$bs/expected.tsv" ]; then
  if (cd "$dest" && npm pack --silent baunsu@0.2.3 >/dev/null) &&
    mkdir -p "$dest/baunsu-0.2.3" && tar -xzf "$dest/baunsu-0.2.3.tgz" -C "$dest/baunsu-0.2.3"; then
    rm -rf "$bs" && mkdir -p "$bs"
    cp -r "$dest/baunsu-0.2.3/package/tests/emails" "$bs/emails"
    cp bench/heldout/baunsu-expected.tsv "$bs/expected.tsv"
    echo "held-out bounces in $bs (score with: bouncedx eval $bs)"
  else
    echo "warning: baunsu 0.2.3 not fetched from npm" >&2
    status=1
  fi
fi
exit $status

"""Writes a Postfix log of N lines over three days, 1 line in 50 a rejection
(alternating an unknown user and a Microsoft reputation deferral), the rest
connections, queue lines and deliveries. Used by tests/spark.rs and by
bench/scan-vs-sisimai.sh's log run.

    python3 examples/spark/gen_log.py OUT N
"""

import sys

NOISE = [
    "Nov {d} 10:00:{s:02d} mta1 postfix/smtpd[4501]: connect from client{n}.example.org[203.0.113.{o}]",
    "Nov {d} 10:00:{s:02d} mta1 postfix/qmgr[550]: 3F2A{n:04X}: from=<news@example.org>, size=2048, nrcpt=1 (queue active)",
    "Nov {d} 10:00:{s:02d} mta1 postfix/smtp[4504]: 3F2A{n:04X}: to=<u{n}@example.com>, relay=mx.example.com[192.0.2.20]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9A{n:04X})",
    "Nov {d} 10:00:{s:02d} mta1 postfix/qmgr[550]: 3F2A{n:04X}: removed",
    "Nov {d} 10:00:{s:02d} mta1 postfix/smtpd[4501]: disconnect from client{n}.example.org[203.0.113.{o}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
]
BAD = [
    "Nov {d} 10:00:{s:02d} mta1 postfix/smtp[4502]: 3F2A{n:04X}: to=<u{n}@example.net>, relay=mx.example.net[192.0.2.10]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.10] said: 550 5.1.1 <u{n}@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))",
    "Nov {d} 10:00:{s:02d} mta1 postfix/smtp[4503]: 3F2A{n:04X}: to=<u{n}@outlook.com>, relay=outlook-com.olc.protection.outlook.com[192.0.2.50]:25, delay=0.9, dsn=4.7.650, status=deferred (host outlook-com.olc.protection.outlook.com[192.0.2.50] said: 451 4.7.650 The mail server [198.51.100.7] has been temporarily rate limited due to IP reputation. (S775) (in reply to MAIL FROM command))",
]

out, n = sys.argv[1], int(sys.argv[2])
with open(out, "w") as f:
    for i in range(n):
        d = 24 + (i * 3) // n
        t = BAD[(i // 50) % 2] if i % 50 == 0 else NOISE[i % len(NOISE)]
        f.write(t.format(d=d, s=i % 60, n=i % 65536, o=i % 250) + "\n")

use super::*;

fn rejection(line: &str) -> LogRecord {
    match read_log_line(line) {
        LogLine::Rejection(r) => r,
        LogLine::Skip => panic!("skipped: {line}"),
    }
}

#[test]
fn postfix_bounced_and_deferred() {
    let r = rejection("Jun 17 10:22:33 mta1 postfix/smtp[12345]: 4Xyz1ABCD: to=<User@gmail.com>, relay=gmail-smtp-in.l.google.com[192.0.2.27]:25, delay=1.2, delays=0.01/0.02/0.4/0.77, dsn=5.7.26, status=bounced (host gmail-smtp-in.l.google.com[192.0.2.27] said: 550-5.7.26 Unauthenticated email is not accepted (in reply to end of DATA command))");
    assert_eq!(r.recipient.as_deref(), Some("user@gmail.com"));
    assert_eq!(r.status.unwrap().to_string(), "5.7.26");
    assert_eq!(r.relay.as_deref(), Some("gmail-smtp-in.l.google.com"));
    assert!(r.reply.starts_with("host gmail-smtp-in"));
    assert!(r.reply.ends_with("(in reply to end of DATA command)"));
    let r = rejection("Mar 02 08:00:01 mta1 postfix/smtp[2201]: 7F3A2B: to=<someone@yahoo.com>, relay=mta7.am0.yahoodns.net[192.0.2.80]:25, delay=0.9, delays=0/0/0.5/0.4, dsn=4.7.0, status=deferred (host mta7.am0.yahoodns.net[192.0.2.80] said: 421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred)");
    assert_eq!(r.status.unwrap().class, 4);
}

#[test]
fn postfix_noise_is_skipped() {
    for line in [
        "Jun 17 10:22:30 mta1 postfix/smtpd[450]: connect from unknown[192.0.2.9]",
        "Jun 17 10:22:31 mta1 postfix/qmgr[550]: 4Xyz1ABCD: from=<a@example.com>, size=1234, nrcpt=1 (queue active)",
        "Jun 17 10:22:33 mta1 postfix/smtp[12345]: 4Xyz1ABCD: to=<u@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 2.0.0 OK)",
        "",
        "short",
    ] {
        assert_eq!(read_log_line(line), LogLine::Skip, "{line}");
    }
}

#[test]
fn postfix_inbound_reject() {
    let r = rejection("May 13 08:15:15 ns1 postfix/smtpd[16495]: NOQUEUE: reject: RCPT from ip-192-0-2-78.example.net[192.0.2.78]: 554 5.7.1 Service unavailable; Client host [192.0.2.78] blocked using zen.spamhaus.org; from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<x>");
    assert_eq!(r.recipient.as_deref(), Some("b@example.com"));
    assert!(r.reply.starts_with("554 5.7.1 Service unavailable"));
    assert!(!r.reply.contains("proto="));
    assert_eq!(r.stage, Some(bouncedx_dsl::ir::Stage::Rcpt));
    assert_eq!(r.client_ip.as_deref(), Some("192.0.2.78"));
}

#[test]
fn exim_failure_and_deferral() {
    let r = rejection("2012-02-13 14:39:22 1RookS-000Pg8-VO ** bob@example.com R=dnslookup T=remote_smtp: SMTP error from remote mail server after RCPT TO:<bob@example.com>: host mx.example.com [192.0.2.5]: 550 5.1.1 User unknown");
    assert_eq!(r.recipient.as_deref(), Some("bob@example.com"));
    assert!(r
        .reply
        .starts_with("SMTP error from remote mail server after RCPT TO"));
    let r = rejection("2012-02-13 14:39:22 1RookS-000Pg8-VO == bob@example.com R=dnslookup T=remote_smtp defer (-44): SMTP error from remote mail server after RCPT TO:<bob@example.com>: host mx0.gmx.com [192.0.2.90]: 450 4.3.2 Too many mails");
    assert_eq!(r.mta, Some("exim"));
    assert_eq!(
        read_log_line(
            "2012-02-13 14:39:22 1RookS-000Pg8-VO <= a@example.org H=x [192.0.2.1] P=esmtp S=123"
        ),
        LogLine::Skip
    );
}

#[test]
fn sendmail_stat() {
    let r = rejection("Jul 28 17:41:31 ubuntu sm-mta[2979]: o6SGfUfN002977: to=<tunji@example.com>, ctladdr=<t@ubuntu> (1000/1000), delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120296, relay=mx.example.com. [192.0.2.27], dsn=5.1.1, stat=User unknown");
    assert_eq!(r.recipient.as_deref(), Some("tunji@example.com"));
    assert_eq!(r.reply, "User unknown");
    assert_eq!(r.relay.as_deref(), Some("mx.example.com"));
    assert_eq!(
        read_log_line("Jul 28 17:41:31 ubuntu sm-mta[2979]: o6S: to=<t@example.com>, delay=00:00:01, mailer=esmtp, relay=mx.example.com. [192.0.2.27], dsn=2.0.0, stat=Sent (OK)"),
        LogLine::Skip
    );
}

#[test]
fn powermta_csv() {
    let r = rejection("b,2025-03-02 08:00:05+0000,2025-03-02 08:00:03+0000,bounce@example.com,user@outlook.com,,failed,5.7.1,\"smtp;550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent (S3150)\",mx.example.com (192.0.2.1),,smtp");
    assert_eq!(r.recipient.as_deref(), Some("user@outlook.com"));
    assert!(r.reply.starts_with("550 5.7.1 Unfortunately, messages"));
    assert_eq!(r.status.unwrap().to_string(), "5.7.1");
    // the bounce category, wherever the configured fields put it
    let r = rejection("b,2025-03-02 08:00:05+0000,2025-03-02 08:00:03+0000,bounce@example.com,user@outlook.com,,failed,5.7.1,\"smtp;550 5.7.1 blocked (S3150)\",outlook-com.olc.protection.outlook.com (192.0.2.33),spam-related,smtp");
    assert_eq!(r.verdict.as_deref(), Some("powermta/spam-related"));
    let r = rejection("t,2025-03-02 08:01:10+0000,2025-03-02 08:00:03+0000,bounce@example.com,user@gmail.com,,delayed,4.7.28,\"smtp;421 4.7.28 unusual rate\",gmail-smtp-in.l.google.com (192.0.2.27),,smtp");
    assert_eq!(r.verdict, None);
}

/// Exchange message tracking: the 2013+ layout (with `network-message-id`)
/// from the reference, a newer `LED=` status, and lines that are not
/// failures.
#[test]
fn exchange_message_tracking() {
    let r = rejection("2025-03-02T08:00:05.123Z,,,192.0.2.10,EX01,08DD5A1B2C3D4E5F;250 2.1.5,Outbound to Internet,SMTP,FAIL,123456789,<abc@example.com>,,user@outlook.com,550 5.7.1 Unfortunately; messages from [198.51.100.7] weren't sent... (S3150),2048,1,,,Quarterly report,sender@example.com,sender@example.com,,Originating,,,,");
    assert_eq!(r.recipient.as_deref(), Some("user@outlook.com"));
    assert!(
        r.reply.starts_with("550 5.7.1 Unfortunately"),
        "{}",
        r.reply
    );
    assert_eq!(r.mta, Some("exchange"));
    let r = rejection("2026-11-27T09:00:00.000Z,192.0.2.10,EX02,,,\"Deferred, retrying\",Outbound,SMTP,DEFER,42,<m@example.net>,a1b2,Bob@Example.org,\"[{LRT=2026-11-27T08:59:00.000Z};{LED=451 4.4.0 DNS query failed};{FQDN=};{IP=}]\",1024,1,,,Hi,news@example.net,news@example.net,,Originating,,,,");
    assert_eq!(r.recipient.as_deref(), Some("bob@example.org"));
    assert_eq!(r.reply, "451 4.4.0 DNS query failed");
    for skip in [
        "#Software: Microsoft Exchange Server",
        "#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id",
        "2025-03-02T08:00:04.000Z,,,192.0.2.10,EX01,,Outbound to Internet,SMTP,SEND,123456789,<abc@example.com>,,user@outlook.com,250 2.6.0 Queued mail for delivery,2048,1,,,Quarterly report,sender@example.com,sender@example.com,,Originating,,,,",
    ] {
        assert_eq!(read_log_line(skip), LogLine::Skip, "{skip}");
    }
}

/// Exim logs one host's error on a line of its own, without a `**`/`==`
/// flag; the reply is read with its stage and host.
#[test]
fn exim_host_error_line() {
    let r = rejection("2026-05-14 17:49:33 1wN9t2-00000002BQv-3hr9 H=hotmail-com.olc.protection.outlook.com [52.101.73.17]: SMTP error from remote mail server after pipelined MAIL FROM:<news@example.net> SIZE=4169: 451 4.7.650 The mail server [198.51.100.7] has been temporarily rate limited due to IP reputation. (S775)");
    assert_eq!(
        r.relay.as_deref(),
        Some("hotmail-com.olc.protection.outlook.com")
    );
    assert!(r
        .reply
        .starts_with("SMTP error from remote mail server after pipelined MAIL FROM"));
    assert_eq!(r.recipient, None);
    let facts = crate::intake::reply::parse_reply(&r.reply);
    assert_eq!(facts.stage, Some(bouncedx_dsl::ir::Stage::Mail));
    assert_eq!(facts.code, Some(451));
}

#[test]
fn free_form_needs_a_reply() {
    let r = rejection("ERROR delivery to bob@example.com failed: 550 5.1.1 mailbox unavailable");
    assert_eq!(r.recipient.as_deref(), Some("bob@example.com"));
    assert!(r.reply.starts_with("550 5.1.1"));
    // No writer is claimed for a line of no known format.
    assert_eq!(r.mta, None);
    assert_eq!(read_log_line("worker 550 started"), LogLine::Skip);
    assert_eq!(
        read_log_line("INFO all good, 250 messages sent"),
        LogLine::Skip
    );
}

/// Haraka's marker is the one after the recipient's address: the reply may
/// say "rejected: " again (Postfix's "Recipient address rejected: ...").
#[test]
fn haraka_marker_follows_the_recipient() {
    let r = rejection("[NOTICE] [A1B2C3D4-0000-4000-8000-000000000001.1.1] [outbound] recipient <ann@example.net> deferred: 450 4.7.1 <ann@example.net>: Recipient address rejected: Greylisted for 300 seconds");
    assert_eq!(r.recipient.as_deref(), Some("ann@example.net"));
    assert!(
        r.reply
            .starts_with("450 4.7.1 <ann@example.net>: Recipient address rejected: Greylisted"),
        "{}",
        r.reply
    );
}

/// An Exchange FAIL event is a failure even when its status field names no
/// reply code, and a line of no known format that names a success before
/// its failure is still a rejection.
#[test]
fn a_failure_after_a_success_or_without_a_code_is_read() {
    let r = rejection("2025-03-02T08:00:05.123Z,,,192.0.2.10,EX01,08DD5A1B2C3D4E5F;250 2.1.5,Outbound to Internet,SMTP,FAIL,123456789,<abc@example.com>,,ann@example.net,\"5.7.1 Service unavailable; client [203.0.113.2] blocked using prs.proofpoint.com\",2048,1,,,Report,sender@example.com,sender@example.com,,Originating,,,,");
    assert!(
        r.reply.starts_with("5.7.1 Service unavailable"),
        "{}",
        r.reply
    );
    let r = rejection("2025-03-02T08:00:05.123Z,,,192.0.2.10,EX01,,Outbound to Internet,SMTP,FAIL,123456789,<abc@example.com>,,ann@example.net,554 Message not allowed - [299],2048,1,,,Report,sender@example.com,sender@example.com,,Originating,,,,");
    assert_eq!(
        r.reply, "554 Message not allowed - [299]",
        "a reply's own bracket stays"
    );
    let r = rejection("2025-03-02T08:00:05.123Z,,,192.0.2.10,EX01,,Outbound to Internet,SMTP,FAIL,123456789,<abc@example.com>,,ann@example.net,Recipient not found,2048,1,,,Report,sender@example.com,sender@example.com,,Originating,,,,");
    assert_eq!(r.reply, "Recipient not found");
    let r = rejection("relay ok 250 2.1.5 then for bob@example.com: 550 5.1.1 mailbox unavailable");
    assert!(r.reply.starts_with("550 5.1.1"), "{}", r.reply);
    // a number after a success's code is no reply code: a size, a count
    assert_eq!(
        read_log_line("AddressChange 128, DnsError 256, SpamNotification 512, OpenRelayTest 1024, Unknown 2048,"),
        LogLine::Skip
    );
}

#[test]
fn opensmtpd_deliveries_and_inbound_refusals() {
    let r = rejection(
        r#"Dec  7 10:00:01 mx smtpd[4242]: 4a5b6c7d8e9f0a1b mta delivery evpid=4a5b6c7d8e9f0a1b from=<news@example.com> to=<Dan@example.org> rcpt=<-> source="192.0.2.10" relay="mx.example.org [192.0.2.27]" delay=2s result="PermFail" stat="550 5.1.1 <dan@example.org>: Recipient address rejected: User unknown""#,
    );
    assert_eq!(r.mta, Some("opensmtpd"), "not Sendmail's `to=`/`stat=`");
    assert_eq!(r.recipient.as_deref(), Some("dan@example.org"));
    assert_eq!(r.relay.as_deref(), Some("mx.example.org"));
    assert_eq!(
        r.reply,
        "550 5.1.1 <dan@example.org>: Recipient address rejected: User unknown"
    );
    let r = rejection(
        r#"Dec  7 10:00:02 mx smtpd[4242]: 4a5b6c7d8e9f0a1c mda delivery evpid=4a5b6c7d8e9f0a1c from=<a@example.com> to=<b@example.org> user=b delay=0s result=TempFail stat=Error ("Mailbox is full")"#,
    );
    assert_eq!(r.reply, r#"Error ("Mailbox is full")"#);
    let ok = r#"Dec  7 10:00:03 mx smtpd[4242]: 4a5b6c7d8e9f0a1d mta delivery evpid=4a5b6c7d8e9f0a1d from=<a@example.com> to=<c@example.net> rcpt=<-> source="192.0.2.10" relay="mx.example.net [192.0.2.28]" delay=3s result="Ok" stat="250 2.0.0 Ok: queued as 1234""#;
    assert_eq!(read_log_line(ok), LogLine::Skip);
    let r = rejection(
        r#"Dec  7 10:00:04 mx smtpd[4242]: 6e1f2a3b4c5d6e7f smtp failed-command command="RCPT TO:<nobody@example.org>" result="550 Invalid recipient: <nobody@example.org>""#,
    );
    assert_eq!(r.recipient.as_deref(), Some("nobody@example.org"));
    assert_eq!(r.reply, "550 Invalid recipient: <nobody@example.org>");
    assert!(r.stage.is_some());
}

#[test]
fn qmail_send_results_read_back_with_their_spaces() {
    let r = rejection("@4000000065a1b2c40a1b2c3d delivery 7: failure: 192.0.2.25_does_not_like_recipient./Remote_host_said:_550_5.1.1_<bob@example.com>:_Recipient_address_rejected:_User_unknown/Giving_up_on_192.0.2.25./");
    assert_eq!(r.mta, Some("qmail"));
    assert_eq!(r.delivery, Some(7));
    assert_eq!(
        r.recipient, None,
        "named on the `starting delivery 7:` line"
    );
    assert_eq!(r.reply, "192.0.2.25 does not like recipient.\nRemote host said: 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown\nGiving up on 192.0.2.25.");
    let r = rejection("Dec  7 10:00:01 host qmail: 1765101601.123456 delivery 8: deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/");
    assert_eq!(
        r.reply,
        "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)"
    );
    let r = rejection("@4000000065a1b2c40a1b2c3e delivery 9: failure: Remote_host_said:_554_5.7.1_see_https://postmaster.example.net/errors/554.html/");
    assert!(
        r.reply
            .contains("https://postmaster.example.net/errors/554.html"),
        "{}",
        r.reply
    );
    let ok = "@4000000065a1b2c40a1b2c3f delivery 10: success: did_0+1+0/qp_31067/";
    assert_eq!(read_log_line(ok), LogLine::Skip);
    assert_eq!(
        qmail_delivery_start(
            "@4000000065a1b2c30a1b2c3d starting delivery 7: msg 1234567 to remote Bob@example.com"
        ),
        Some((7, "bob@example.com".into()))
    );
    assert_eq!(
        qmail_delivery_start("starting delivery 8: msg 12 to local"),
        None
    );
}

#[test]
fn a_line_of_no_known_format_names_the_recipient_not_the_sender() {
    let r = rejection("Dec  7 10:00:01 mx courieresmtp: id=0000C5A2.52F0A0E8.0000370A,from=<news@example.com>,addr=<Bob@example.net>: 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown");
    assert_eq!(r.recipient.as_deref(), Some("bob@example.net"));
    let r =
        rejection("Dec  7 10:00:01 mx mailer: from=<news@example.com> 421 4.7.0 Try again later");
    assert_eq!(r.recipient, None, "the only address is the sender's");
    let r = rejection(
        "Dec  7 10:00:01 mx mailer: delivery to carol@example.org failed: 550 5.1.1 user unknown",
    );
    assert_eq!(r.recipient.as_deref(), Some("carol@example.org"));
}

#[test]
fn exim_s_own_acl_refusals_as_a_receiving_server() {
    let r = rejection("2026-12-07 10:00:01 H=(client.example.com) [192.0.2.50] F=<news@example.com> rejected RCPT <Nobody@example.org>: Unrouteable address");
    assert_eq!(r.mta, Some("exim"));
    assert_eq!(r.recipient.as_deref(), Some("nobody@example.org"));
    assert_eq!(r.reply, "Unrouteable address");
    assert_eq!(r.client_ip.as_deref(), Some("192.0.2.50"));
    assert_eq!(r.permanent, Some(true));
    let r = rejection("2026-12-07 10:00:02 H=mail.example.net [192.0.2.51]:41234 I=[192.0.2.1]:25 F=<a@example.net> temporarily rejected RCPT <bob@example.org>: greylisted");
    assert_eq!(r.permanent, Some(false));
    assert_eq!(r.recipient.as_deref(), Some("bob@example.org"));
    let r = rejection("2026-12-07 10:00:03 1vAbCd-000Xyz-QR H=mail.example.net [192.0.2.52] F=<a@example.net> rejected after DATA: This message contains a virus (Eicar-Test-Signature).");
    assert_eq!(r.recipient, None);
    assert_eq!(
        r.reply,
        "This message contains a virus (Eicar-Test-Signature)."
    );
    assert!(r.stage.is_some());
    assert_eq!(
        read_log_line("2026-12-07 10:00:04 H=mail.example.net [192.0.2.52] sender verify fail for <a@example.net>: Unrouteable address"),
        LogLine::Skip,
        "the refusal follows on its own line"
    );
}

#[test]
fn a_remote_reply_that_says_rejected_is_not_exim_s_own_refusal() {
    let r = rejection("2026-12-07 10:00:05 1vAbCd-000Xyz-QS H=mx.example.net [192.0.2.60]: SMTP error from remote mail server after end of data: 550 rejected after DATA: spam score too high");
    assert!(
        r.reply.starts_with("SMTP error from remote mail server"),
        "{}",
        r.reply
    );
    assert_eq!(r.permanent, None);
}

#[test]
fn postfix_refusals_after_a_queue_id_by_milters_and_by_cleanup() {
    let r = rejection("Dec  7 10:00:01 mx postfix/smtpd[1234]: 4ABC123: reject: RCPT from unknown[192.0.2.50]: 450 4.7.1 <bob@example.org>: Recipient address rejected: Greylisted; from=<a@example.net> to=<bob@example.org> proto=ESMTP helo=<client.example.net>");
    assert_eq!(r.recipient.as_deref(), Some("bob@example.org"));
    assert_eq!(
        r.reply,
        "450 4.7.1 <bob@example.org>: Recipient address rejected: Greylisted"
    );
    let r = rejection("Dec  7 10:00:02 mx postfix/cleanup[2345]: 4ABC124: milter-reject: END-OF-MESSAGE from mail.example.net[192.0.2.51]: 5.7.1 Spam message rejected; from=<a@example.net> to=<carol@example.org> proto=ESMTP helo=<mail.example.net>");
    assert_eq!(r.reply, "5.7.1 Spam message rejected");
    assert_eq!(r.stage, Some(bouncedx_dsl::ir::Stage::Data));
    assert_eq!(r.client_ip.as_deref(), Some("192.0.2.51"));
    let r = rejection("Dec  7 10:00:03 mx postfix/cleanup[2345]: 4ABC125: reject: header Subject: Buy now from mail.example.net[192.0.2.51]; from=<a@example.net> to=<dan@example.org> proto=ESMTP helo=<mail.example.net>: 5.7.1 message content rejected");
    assert_eq!(r.reply, "5.7.1 message content rejected");
    assert_eq!(r.recipient.as_deref(), Some("dan@example.org"));
    let r = rejection("Dec  7 10:00:04 mx postfix/cleanup[2345]: 4ABC126: reject: body Click here from mail.example.net[192.0.2.51]; from=<a@example.net> to=<eve@example.org> proto=ESMTP helo=<mail.example.net>");
    assert_eq!(
        r.reply,
        "rejected by body Click here from mail.example.net[192.0.2.51]"
    );
    // a delivery line whose quoted reply says ": reject: " is a delivery line
    let r = rejection("Dec  7 10:00:05 mx postfix/smtp[3456]: 4ABC127: to=<fay@example.org>, relay=mx.example.org[192.0.2.27]:25, delay=1, dsn=5.7.1, status=bounced (host mx.example.org[192.0.2.27] said: 550 5.7.1 policy: reject: spam (in reply to end of DATA command))");
    assert!(r.reply.starts_with("host mx.example.org"), "{}", r.reply);
}

#[test]
fn sendmail_s_own_refusals_as_a_receiving_server() {
    let r = rejection("Dec  7 10:00:01 mx sm-mta[1234]: 0B7A01xx001234: ruleset=check_rcpt, arg1=<Bob@example.org>, relay=client.example.net [192.0.2.50], reject=550 5.7.1 <bob@example.org>... Relaying denied");
    assert_eq!(r.mta, Some("sendmail"));
    assert_eq!(r.recipient.as_deref(), Some("bob@example.org"));
    assert_eq!(r.client_ip.as_deref(), Some("192.0.2.50"));
    assert_eq!(r.reply, "550 5.7.1 <bob@example.org>... Relaying denied");
    let r = rejection("Dec  7 10:00:05 mx sm-mta[1234]: 0B7A01xx001238: ruleset=check_mail, arg1=<a@nonexistent.example>, relay=client.example.net [192.0.2.52], reject=553 5.1.8 <a@nonexistent.example>... Domain of sender address a@nonexistent.example does not exist");
    assert_eq!(r.recipient, None, "check_mail's argument is the sender");
    assert_eq!(r.stage, Some(bouncedx_dsl::ir::Stage::Mail));
    let r = rejection("Dec  7 10:00:02 mx sm-mta[1234]: 0B7A01xx001235: ruleset=check_relay, arg1=client.example.net, arg2=192.0.2.51, relay=client.example.net [192.0.2.51], reject=554 5.7.1 Rejected 192.0.2.51 found in zen.spamhaus.org");
    assert_eq!(r.client_ip.as_deref(), Some("192.0.2.51"));
    let r = rejection("Dec  7 10:00:03 mx sm-mta[1234]: 0B7A01xx001236: Milter: data, reject=554 5.7.1 Message rejected as spam");
    assert_eq!(r.stage, Some(bouncedx_dsl::ir::Stage::Data));
    let r = rejection(
        "Dec  7 10:00:04 mx sm-mta[1234]: 0B7A01xx001237: <carol@example.org>... User unknown",
    );
    assert_eq!(r.recipient.as_deref(), Some("carol@example.org"));
    assert_eq!(r.permanent, Some(true));
}

#[test]
fn postfix_s_soft_bounce_mode_still_reports_the_refusal() {
    let r = rejection("Dec  7 10:00:06 mx postfix/smtp[3456]: 4ABC128: to=<gus@example.org>, relay=mx.example.org[192.0.2.27]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.1.1, status=SOFTBOUNCE (host mx.example.org[192.0.2.27] said: 550 5.1.1 <gus@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command))");
    assert_eq!(r.recipient.as_deref(), Some("gus@example.org"));
    assert!(r.reply.contains("550 5.1.1"), "{}", r.reply);
}

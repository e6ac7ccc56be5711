use super::*;

#[test]
fn empty_and_binary_inputs_are_errors() {
    assert_eq!(read_email(b"  \n"), Err(EmailError::Empty));
    assert_eq!(read_email(b"\x00\x01\x02junk"), Err(EmailError::Binary));
}

/// A bounce's text without its header block (pasted, or kept so by a
/// bounce tool) is read as the body it is; text that names no failed
/// recipient is still not an e-mail.
#[test]
fn a_bounce_without_its_headers_is_read_as_its_body() {
    let body: &[u8] = concat!(
        "This is the mail system at host mailer.example.com.\n\n",
        "I'm sorry to have to inform you that your message could not\n",
        "be delivered to one or more recipients. It's attached below.\n\n",
        "                   The mail system\n\n",
        "<ann@example.net>: host mx.example.net[192.0.2.10] said: 550 5.1.1\n",
        "    <ann@example.net>: Recipient address rejected: User unknown (in reply to\n",
        "    RCPT TO command)\n",
    )
    .as_bytes();
    let email = read_email(body).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(email.records.len(), 1);
    let r = &email.records[0];
    assert_eq!(r.recipient.as_deref(), Some("ann@example.net"));
    assert!(r.context.contains("User unknown"), "{r:?}");
    assert_eq!(
        read_email(b"Dear team,\n\nthe meeting moved to Tuesday.\n"),
        Err(EmailError::NotAnEmail)
    );
}

#[test]
fn html_is_stripped_without_splitting_characters() {
    let text = strip_html("<p>Ü<style>x{}</style>b&amp;c<br>é</p>");
    let words: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(words, ["Ü", "b&c", "é"]);
    // a multi-byte character right after a tag start used to panic
    let _ = strip_html("<sté");
    let _ = strip_html("<style>é");
}

#[test]
fn fuzz_crashes_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let bytes = std::fs::read(e.path()).expect("readable");
        let _ = read_email(&bytes);
    }
}

/// Bytes that are not in the charset the part declares are decoded in the
/// one they are in, so the evidence quoted is readable.
#[test]
fn mislabelled_charsets_are_read_in_the_charset_of_the_bytes() {
    let bounce = |label: &str, body: &[u8]| {
        let mut m = format!(
            "From: MAILER-DAEMON@example.jp\r\nTo: a@example.org\r\nSubject: Returned mail\r\n\
             Content-Type: text/plain; charset=\"{label}\"\r\n\r\n<bob@example.jp>\r\n"
        )
        .into_bytes();
        m.extend_from_slice(body);
        m.extend_from_slice(b"\r\n550 5.1.1 user unknown\r\n");
        read_email(&m).expect("an e-mail").records[0]
            .context
            .clone()
    };
    let japanese = "送信できませんでした";
    let (euc, _, _) = encoding_rs::EUC_JP.encode(japanese);
    assert!(bounce("ISO-2022-JP", &euc).contains(japanese));
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(japanese);
    assert!(bounce("iso-2022-jp", &sjis).contains(japanese));
    assert!(bounce("utf-8", b"Gr\xfc\xdfe").contains("Grüße"));
    // correctly labelled text is left as the declared decoding gives it
    assert!(bounce("utf-8", "Grüße".as_bytes()).contains("Grüße"));
}

/// Lotus Domino writes its `Diagnostic-Code` in ISO-2022-JP inside a
/// delivery-status part, which has no charset: the escapes are decoded, so
/// the words can be read (and quoted).
#[test]
fn iso_2022_jp_in_a_delivery_status_part_is_decoded() {
    let japanese = "ディレクトリには見つかりません";
    let (jis, _, _) = encoding_rs::ISO_2022_JP.encode(japanese);
    let jis = String::from_utf8(jis.into_owned()).expect("ISO-2022-JP is 7-bit");
    let bounce = format!(
        "From: Postmaster@example.co.jp\r\nTo: a@example.org\r\nSubject: DELIVERY FAILURE\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nnot delivered\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.co.jp\r\n\r\n\
         Final-Recipient: rfc822;bob@example.co.jp\r\nAction: failed\r\nStatus: 5.0.0\r\n\
         Diagnostic-Code: X-Notes; bob Domino {jis}\r\n--b--\r\n"
    );
    let email = read_email(bounce.as_bytes()).expect("an e-mail");
    let diagnostic = email.records[0].diagnostic.as_deref().unwrap_or("");
    assert!(diagnostic.contains(japanese), "{diagnostic:?}");
    // ASCII without escapes, and text that is not ASCII, stay as they are
    assert_eq!(
        super::mime::undo_iso2022_jp("550 5.1.1 user unknown"),
        "550 5.1.1 user unknown"
    );
    assert_eq!(super::mime::undo_iso2022_jp("Grüße \x1b$B"), "Grüße \x1b$B");
}

/// Exchange's "Your message To: <list> ... did not reach the following
/// recipient(s):" names the original addressee (often a mailing list) before
/// the failed recipient; only the one after the phrase failed.
#[test]
fn addressees_before_did_not_reach_are_not_failed_recipients() {
    let bounce = "From: postmaster@ex.example.org\nTo: news-bounces@list.example.net\nSubject: Undeliverable: November news\nContent-Type: text/plain\n\nYour message\n\n  To:      news@list.example.net\n  Subject: November news\n  Sent:    Fri, 27 Nov 2026 10:00:00 +0000\n\ndid not reach the following recipient(s):\n\nann@example.org on Fri, 27 Nov 2026 10:00:05 +0000\n    The recipient name is not recognized\n";
    let email = super::read_email(bounce.as_bytes()).unwrap();
    let recipients: Vec<_> = email
        .records
        .iter()
        .map(|r| r.recipient.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(recipients, ["ann@example.org"]);
    assert!(email.records[0].context.contains("not recognized"));
}

/// Words that call an address the sender keep it out of the recipients,
/// and an "Original message details:" section (the original's own From and
/// To as bullets) is the returned message, not the report.
#[test]
fn the_sender_and_the_originals_addressees_are_not_failed_recipients() {
    let bounce = b"From: MAILER-DAEMON@example.net\r\nTo: list-bounces@example.org\r\n\
        Subject: Undeliverable: news\r\nContent-Type: text/plain\r\n\r\n\
        Delivery has failed to these recipients:\r\n\r\n\
        \t* [bob@example.net]: 550 bob@example.net... mailbox unavailable, they are not accepting mail from news@example.org\r\n\r\n\
        Original message details:\r\n\r\n\
        \t* From: editor@example.org\r\n\t* To: carol@example.com\r\n";
    let email = read_email(bounce).expect("an e-mail");
    assert_eq!(recipients(&email), [Some("bob@example.net")]);
    assert!(!email.records[0].context.contains("carol@"));
}

/// A message that nests multipart containers far deeper than any bounce is
/// refused before MIME parsing (which held 17 times the message's size),
/// with the reason; a real report's few containers are read.
#[test]
fn deep_multipart_nesting_is_refused_before_parsing() {
    let mut deep = String::from("From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
    for i in 1..400 {
        deep.push_str(&format!(
            "--b{}\r\nContent-Type: Multipart/mixed; boundary=\"b{i}\"\r\n\r\n",
            i - 1
        ));
    }
    match read_email(deep.as_bytes()) {
        Err(e @ EmailError::TooNested(n)) => {
            assert!(n > MAX_MULTIPARTS, "{n}");
            assert!(e.to_string().contains("multipart"), "{e}");
        }
        other => panic!("expected TooNested, got {other:?}"),
    }
    let shallow = deep.lines().take(12).collect::<Vec<_>>().join("\r\n");
    assert!(!matches!(
        read_email(shallow.as_bytes()),
        Err(EmailError::TooNested(_))
    ));
}

/// A `multipart/report` whose Content-Type names no boundary is read with
/// the boundary its body uses: the delivery-status part, and its
/// recipient, are not lost (hardening item 7).
#[test]
fn a_report_without_its_boundary_keeps_its_dsn() {
    let msg = "From: MAILER-DAEMON@mx.example.net\r\nTo: sender@example.org\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status\r\n\r\n--B0undary.1\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\r\n--B0undary.1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; ann@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown\r\n\r\n--B0undary.1--\r\n";
    let fixed = restore_missing_boundary(std::borrow::Cow::Borrowed(msg.as_bytes()));
    assert!(
        String::from_utf8_lossy(&fixed)
            .contains("report-type=delivery-status; boundary=\"B0undary.1\"\r\n"),
        "{}",
        String::from_utf8_lossy(&fixed)
    );
    let email = read_email(msg.as_bytes()).expect("read");
    assert_eq!(email.records.len(), 1, "{:?}", email.records);
    assert_eq!(
        email.records[0].recipient.as_deref(),
        Some("ann@example.com")
    );
    // a message that names its boundary is left alone
    let named = msg.replace(
        "delivery-status\r\n\r\n--B0",
        "delivery-status; boundary=\"B0undary.1\"\r\n\r\n--B0",
    );
    assert!(matches!(
        restore_missing_boundary(std::borrow::Cow::Borrowed(named.as_bytes())),
        std::borrow::Cow::Borrowed(_)
    ));
}

/// What a snapshot shows of a read e-mail: its kind, writer and reader,
/// then per record the recipient, action, status, reply and the first
/// lines of its words.
/// The failed recipient of each record, in order.
fn recipients(email: &Email) -> Vec<Option<&str>> {
    email
        .records
        .iter()
        .map(|r| r.recipient.as_deref())
        .collect()
}

fn summary(email: &Email) -> String {
    let mut out = format!(
        "kind: {:?}\nmta: {}\nreader: {}\ngiven up: {}\n",
        email.kind,
        email.mta.unwrap_or("-"),
        email.reader,
        match email.permanent {
            Some(true) => "yes",
            Some(false) => "no, still trying",
            None => "-",
        }
    );
    for r in &email.records {
        out.push_str(&format!(
            "- recipient: {}\n  action: {}\n  status: {}\n  diagnostic: {}\n  context:\n",
            r.recipient.as_deref().unwrap_or("-"),
            r.action.as_deref().unwrap_or("-"),
            r.status.map_or_else(|| "-".to_string(), |s| s.to_string()),
            r.diagnostic.as_deref().unwrap_or("-"),
        ));
        if let Some(host) = &r.remote_mta {
            out.push_str(&format!("  remote: {host}\n"));
        }
        // the first lines with text: what the rules read first
        for line in r
            .context
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(4)
        {
            out.push_str(&format!("    | {line}\n"));
        }
    }
    out
}

/// One small bounce per reader and per hard case, written for this
/// repository (`engine/tests/fixtures/email/`), read into records.
#[test]
fn fixtures_are_read_into_records() {
    insta::glob!("../../../tests/fixtures/email", "*.eml", |path| {
        let bytes = std::fs::read(path).expect("fixture");
        let email = read_email(&bytes).expect("an e-mail");
        insta::assert_snapshot!(summary(&email));
    });
}

/// An address met only in a sentence ("please contact helpdesk@...") is
/// never a record; the returned message's addressee is.
#[test]
fn an_address_in_prose_is_not_a_recipient() {
    for (fixture, addressee) in [
        (
            &include_bytes!("../../../tests/fixtures/email/prose-contact-only.eml")[..],
            "jon@example.net",
        ),
        (
            &include_bytes!("../../../tests/fixtures/email/prose-with-contact-address.eml")[..],
            "ivy@example.net",
        ),
    ] {
        let email = read_email(fixture).unwrap();
        assert_eq!(recipients(&email), [Some(addressee)]);
    }
}

/// A reason below a listed address that quotes another address (the
/// mailbox an alias led to, `550 5.1.1 <ann.box@...>`) is that address's
/// reason, not a second failed recipient: Exim and Sendmail list each
/// address at the list's own indentation and its reason further in.
#[test]
fn a_reason_that_quotes_an_address_is_no_second_recipient() {
    for (fixture, recipient) in [
        (
            &include_bytes!("../../../tests/fixtures/email/exim-reason-quotes-another-address.eml")
                [..],
            "ann@example.net",
        ),
        (
            &include_bytes!(
                "../../../tests/fixtures/email/sendmail-reason-quotes-another-address.eml"
            )[..],
            "bob@example.net",
        ),
    ] {
        let email = read_email(fixture).unwrap();
        assert_eq!(recipients(&email), [Some(recipient)], "{}", email.reader);
    }
}

/// Office 365's sender line ("Sender Address:" with the address in the next
/// table cell) is never the failed recipient.
#[test]
fn the_office365_sender_line_is_not_a_recipient() {
    for fixture in [
        &include_bytes!("../../../tests/fixtures/email/o365-html-ndr.eml")[..],
        &include_bytes!("../../../tests/fixtures/email/o365-sender-line-only.eml")[..],
    ] {
        let email = read_email(fixture).unwrap();
        assert_eq!(email.reader, "office365");
        assert!(recipients(&email)
            .into_iter()
            .flatten()
            .all(|r| !r.contains("editor@") && !r.contains("chair@")));
    }
}

/// An automatic reply is a vacation notice even when it carries the
/// Authentication-Results that make a test message.
#[test]
fn auto_replies_are_vacation() {
    for fixture in [
        &include_bytes!("../../../tests/fixtures/email/auto-reply-with-auth-results.eml")[..],
        &include_bytes!("../../../tests/fixtures/email/auto-reply-rfc3834-only.eml")[..],
        &include_bytes!("../../../tests/fixtures/email/auto-reply-apple-vacation.eml")[..],
        &include_bytes!("../../../tests/fixtures/email/auto-notified-from-a-person.eml")[..],
    ] {
        assert_eq!(read_email(fixture).unwrap().kind, Kind::Vacation);
    }
    // sudo's mail to root is auto-generated, but no reply to anyone
    let sudo = include_bytes!("../../../tests/fixtures/email/sudo-security-mail.eml");
    assert_ne!(read_email(sudo).unwrap().kind, Kind::Vacation);
}

#[test]
fn recipient_positions() {
    use super::recipients::in_recipient_position;
    let at = |line: &str, addr: &str| {
        let s = line.find(addr).unwrap();
        in_recipient_position(line, s..s + addr.len())
    };
    assert!(at("<ann@example.org>:", "ann@example.org"));
    assert!(at("  * ann@example.org", "ann@example.org"));
    assert!(at(
        "Your message to ann@example.org couldn't be delivered.",
        "ann@example.org"
    ));
    assert!(at("Recipient Address: ann@example.org", "ann@example.org"));
    assert!(at(
        "<<< 550 5.1.1 <ann@example.org>... User unknown",
        "ann@example.org"
    ));
    assert!(!at(
        "please contact helpdesk@example.org for help",
        "helpdesk@example.org"
    ));
    // scripts without spaces: the cue runs into the bracket or the address
    assert!(at(
        "收件人邮件地址（ann@example.org）不存在，邮件无法送达。",
        "ann@example.org"
    ));
    assert!(at(
        "您发送到“ann@example.org”的邮件无法被正确投递",
        "ann@example.org"
    ));
    assert!(at("以下收件人投递失败：ann@example.org", "ann@example.org"));
    assert!(!at("发件人：ed@example.com", "ed@example.com"));
    assert!(!at(
        "mail from the sender ed@example.com was refused",
        "ed@example.com"
    ));
    assert!(!at(
        "questions? write to desk@example.org",
        "desk@example.org"
    ));
    assert!(!at("desk@example.org for help", "desk@example.org"));
    // an instruction to the reader, however long the clause before it
    assert!(!at(
        "If you are not a spammer, follow the instructions, or send an e-mail message from another address to dz@example.lv with the blocked sender's name.",
        "dz@example.lv"
    ));
    // a clause that opens otherwise still names the recipient
    assert!(at(
        "Hello, the message could not be delivered to ann@example.org",
        "ann@example.org"
    ));
}

#[test]
fn recipient_positions_in_other_languages() {
    use super::recipients::in_recipient_position;
    for line in [
        "Die Nachricht an <ann@example.de> konnte nicht zugestellt werden",
        "Votre message à ann@example.de n'a pas pu être remis",
        "Empfänger: ann@example.de",
    ] {
        let s = line.find("ann@").unwrap();
        assert!(in_recipient_position(line, s..s + 14), "{line}");
    }
}

/// A message saved or pasted with a line of spaces before its headers is
/// still read as the message it is, not as a body without headers.
#[test]
fn blank_lines_before_the_headers_are_skipped() {
    let dsn = "From: MAILER-DAEMON@mx.example.org\r\nTo: news@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\nContent-Type: text/plain\r\n\r\n<ann@example.org>: host mx.example.org said: 550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown\r\n";
    for lead in ["", "\r\n", "      \r\n", "\n \t\n"] {
        let email = read_email(format!("{lead}{dsn}").as_bytes()).unwrap();
        assert_eq!(recipients(&email), [Some("ann@example.org")], "{lead:?}");
    }
}

use super::*;

#[test]
fn empty_and_binary_inputs_are_errors() {
    assert_eq!(read_email(b"  \n"), Err(EmailError::Empty));
    assert_eq!(read_email(b"\x00\x01\x02junk"), Err(EmailError::Binary));
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

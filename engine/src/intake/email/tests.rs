use super::*;

#[test]
fn empty_and_binary_inputs_are_errors() {
    assert_eq!(read_email(b"  \n"), Err(EmailError::Empty));
    assert_eq!(read_email(b"\x00\x01\x02junk"), Err(EmailError::Binary));
}

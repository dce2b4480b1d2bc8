//! The gateway's credential checks, shared by the sign-in forms and the
//! mock IdP: both compare in constant time.

/// Whether `user`/`pass` is one of the configured users (the password
/// compared in constant time).
pub fn user_matches(users: &[(String, String)], user: &str, pass: &str) -> bool {
    use subtle::ConstantTimeEq;
    users
        .iter()
        .filter(|(u, _)| u == user)
        .any(|(_, p)| bool::from(p.as_bytes().ct_eq(pass.as_bytes())))
}

/// Whether `code` is `expected` (compared in constant time), or without
/// one, 6 to 8 digits.
pub fn code_ok(expected: Option<&str>, code: &str) -> bool {
    match expected {
        Some(expected) => {
            use subtle::ConstantTimeEq;
            expected.len() == code.len() && bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
        }
        None => (6..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()),
    }
}

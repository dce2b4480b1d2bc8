//! Fuzzes the login page reader, `oncp::login::form` (the sans-IO login
//! layer of the native crate, reached through its library target).
//!
//! Input: the page as (lossy) UTF-8. Checked: no panic; the form's fields
//! have distinct names; every checkbox field has its choice group; role
//! links are read only for `frmSelectRoles`; the form's identifier is
//! its name, else its id, else `form`; reading the same page twice gives
//! the same result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp::login::form::{FieldKind, FormKind, parse_page};

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let page = parse_page(&html);
    if let Some(f) = &page.form {
        for (i, a) in f.fields.iter().enumerate() {
            assert!(
                !f.fields[i + 1..].iter().any(|b| b.name == a.name),
                "field {:?} twice",
                a.name
            );
            if a.kind == FieldKind::Checkbox {
                assert!(
                    f.checkbox_groups
                        .iter()
                        .any(|(n, g)| *n == a.name && !g.is_empty())
                );
            }
        }
        if f.kind != FormKind::SelectRoles {
            assert!(f.roles.is_empty());
        }
        let ident = f.ident();
        assert_eq!(
            ident,
            f.name.as_deref().or(f.id.as_deref()).unwrap_or("form")
        );
    }
    if let Some(e) = &page.error {
        assert!(!e.is_empty());
    }
    assert_eq!(parse_page(&html), page);
});

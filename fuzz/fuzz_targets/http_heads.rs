//! Fuzzes the bounded HTTP head parsing that opens the tunnel (both
//! sides and the trace decoder use it): `head_len`, request and response
//! heads, the tunnel request, cookies.
//!
//! Checked: no panic; `head_len` finds the first blank line within the
//! limit and fails only past it; `parse_prefix` agrees with it; a parsed
//! head has at most the header limit; `Debug` of a request or response
//! never shows a cookie value (it equals the `Debug` of the same head with
//! the values removed); a tunnel request read from a head writes a head that reads
//! back as a tunnel request for the same host and port; cookie
//! normalisation is idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp_core::oncp::wire::http::{
    MAX_HEAD_LEN, MAX_HEADERS, RequestHead, ResponseHead, TunnelRequest, head_len, normalize_cookie,
};

/// A cookie header value with every value removed (names kept, a piece
/// without `=` replaced by a placeholder).
fn names_only(v: &str) -> String {
    v.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, _)) => format!("{n}="),
            None => "-".to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Removes the values of `Cookie` and `Set-Cookie` headers (a
/// `Set-Cookie` keeps its first piece's name).
fn blank_cookies(headers: &mut [(String, String)]) {
    for (name, v) in headers.iter_mut() {
        if name.eq_ignore_ascii_case("cookie") {
            *v = names_only(v);
        } else if name.eq_ignore_ascii_case("set-cookie") {
            *v = names_only(v.split(';').next().unwrap_or(""));
            if v.is_empty() {
                // An empty first piece shows as a bare value.
                *v = "-".to_string();
            }
        }
    }
}

/// Asserts that `Debug` of a head (request or response) shows no cookie
/// value: it must equal the `Debug` of a copy with the cookie values of its
/// `headers` blanked. Returns that copy.
fn assert_debug_hides_cookies<H: Clone + std::fmt::Debug>(
    h: &H,
    headers: fn(&mut H) -> &mut Vec<(String, String)>,
) -> H {
    let mut blank = h.clone();
    blank_cookies(headers(&mut blank));
    assert_eq!(
        format!("{h:?}"),
        format!("{blank:?}"),
        "cookie values in Debug"
    );
    blank
}

fuzz_target!(|data: &[u8]| {
    let len = head_len(data);
    match &len {
        Ok(Some(n)) => {
            assert!(*n >= 4 && *n <= data.len().min(MAX_HEAD_LEN));
            assert_eq!(&data[n - 4..*n], b"\r\n\r\n");
            assert!(!data[..n - 1].windows(4).any(|w| w == b"\r\n\r\n"));
        }
        Ok(None) => assert!(data.len() < MAX_HEAD_LEN),
        Err(_) => assert!(data.len() >= MAX_HEAD_LEN),
    }

    let req = RequestHead::parse_prefix(data);
    match (&len, &req) {
        (Err(_), r) => assert!(r.is_err()),
        (Ok(None), r) => assert!(matches!(r, Ok(None))),
        (Ok(Some(_)), _) => {}
    }
    if let Ok(Some((h, n))) = &req {
        assert_eq!(Ok(Some(*n)), len);
        assert!(h.headers.len() <= MAX_HEADERS);
        let blank = assert_debug_hides_cookies(h, |b| &mut b.headers);
        let _ = h.cookies();
        let _ = (h.is_logout_request(), h.cookie("DSID"));
        if let Ok(t) = TunnelRequest::from_head(h) {
            let bytes = t.to_bytes();
            let back = RequestHead::parse(&bytes).expect("our tunnel request parses");
            let t2 = TunnelRequest::from_head(&back).expect("and is a tunnel request");
            assert_eq!((t2.host.trim(), t2.port), (t.host.trim(), t.port));
            let _ = t.logout_bytes();
            let shown = format!("{t:?}");
            for (_, v) in h.cookies() {
                if v.len() >= 8 && !blank_contains(&blank, v) {
                    assert!(!shown.contains(v), "cookie value in Debug: {shown}");
                }
            }
        }
    }

    let resp = ResponseHead::parse_prefix(data);
    if let Ok(Some((h, n))) = &resp {
        assert_eq!(Ok(Some(*n)), len);
        assert!(h.headers.len() <= MAX_HEADERS);
        let _ = (h.tunnel_outcome(), h.header("NCP-Version"));
        assert_debug_hides_cookies(h, |b| &mut b.headers);
    }

    let text = String::from_utf8_lossy(data);
    let once = normalize_cookie(&text);
    assert_eq!(normalize_cookie(&once), once);
});

/// Whether `v` appears in the head outside cookie values (then it may be
/// shown legitimately).
fn blank_contains(blank: &RequestHead, v: &str) -> bool {
    format!("{blank:?}").contains(v)
}

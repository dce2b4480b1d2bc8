//! Fuzzes `oncp explain`'s log reader with the whole input as the log
//! (lossy UTF-8; the first byte's low bit asks for secrets to be shown).
//!
//! Checked: no panic or hang; the same log explains the same way twice;
//! every line number lies inside the log; the explanation (text and its
//! item tree) grows at most linearly with the log.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp_core::explain::{Item, Options, explain};

fn check(it: &Item, lines: usize, count: &mut usize) {
    *count += 1;
    assert!(it.line >= 1 && it.line <= lines.max(1), "line {} of {lines}", it.line);
    for c in &it.children {
        check(c, lines, count);
    }
}

fuzz_target!(|data: &[u8]| {
    let show_secrets = data.first().is_some_and(|b| b & 1 == 1);
    let log = String::from_utf8_lossy(data);
    let opts = Options { show_secrets };
    let e = explain(&log, &opts);
    assert_eq!(e, explain(&log, &opts), "deterministic");
    let mut count = 0;
    for it in &e.items {
        check(it, e.lines, &mut count);
    }
    for d in &e.damage {
        assert!(d.line <= e.lines.max(1), "damage line {} of {}", d.line, e.lines);
    }
    for v in &e.verdicts {
        assert!(v.line.is_none_or(|l| l <= e.lines.max(1)));
    }
    assert!(count <= 8 * e.lines + 16, "{count} items for {} lines", e.lines);
    let text = e.to_text();
    assert!(
        text.len() <= 400 * data.len() + 64 * 1024,
        "{} bytes of text for {} bytes of log",
        text.len(),
        data.len()
    );
});

//! Attaching the decrypted bytes an event was decoded from
//! ([`DecoderOptions::plaintext`](super::DecoderOptions::plaintext)).

use crate::trace::event::{Event, Plaintext};

/// Gives `e` the plaintext `bytes`, or marks it withheld when secrets are
/// hidden and the bytes are `secret` or the event redacts a field (the
/// bytes would show what the field hides).
pub(crate) fn attach(e: &mut Event, bytes: &[u8], secret: bool, show_secrets: bool) {
    let withhold = !show_secrets && (secret || e.has_redacted_field());
    e.plaintext = Some(if withhold {
        Plaintext::Withheld
    } else {
        Plaintext::Bytes(bytes.to_vec())
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::{Layer, REDACTED};

    #[test]
    fn secrets_are_withheld_unless_shown() {
        let mut plain = Event::new(Layer::Inner, "x").with("via", "esp");
        attach(&mut plain, &[0x45, 0], false, false);
        assert_eq!(
            plain.plaintext,
            Some(Plaintext::Bytes(alloc::vec![0x45, 0]))
        );

        let mut flagged = Event::new(Layer::Oncp, "x");
        attach(&mut flagged, b"key", true, false);
        assert_eq!(flagged.plaintext, Some(Plaintext::Withheld));
        attach(&mut flagged, b"key", true, true);
        assert_eq!(
            flagged.plaintext.as_ref().and_then(|p| p.bytes()),
            Some(&b"key"[..])
        );

        let mut redacted = Event::new(Layer::Http, "x").with(
            "cookies",
            crate::trace::Value::List(alloc::vec![alloc::format!("DSID={REDACTED}").into()]),
        );
        attach(&mut redacted, b"Cookie: DSID=1", false, false);
        assert_eq!(redacted.plaintext, Some(Plaintext::Withheld));
    }
}

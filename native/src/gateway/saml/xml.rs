//! The few XML operations the mock SAML exchange needs: escaping text and
//! attribute values, and finding one element or attribute in a document
//! this gateway wrote itself (not a general XML parser: anything it does
//! not find is an error for the caller).

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

/// Undoes [`escape`] (the five predefined entities).
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The whole element `<tag …>…</tag>` (or `<tag …/>`) if `doc` holds it
/// exactly once; `None` if it is missing or repeated.
pub fn element<'a>(doc: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}");
    let starts: Vec<usize> = doc
        .match_indices(&open)
        .map(|(i, _)| i)
        .filter(|i| {
            doc[i + open.len()..]
                .chars()
                .next()
                .is_some_and(|c| c == ' ' || c == '>' || c == '/')
        })
        .collect();
    let [start] = starts[..] else {
        return None;
    };
    let rest = &doc[start..];
    let head_end = rest.find('>')?;
    if rest[..head_end].ends_with('/') {
        return Some(&rest[..=head_end]);
    }
    let close = format!("</{tag}>");
    let end = rest.find(&close)?;
    Some(&rest[..end + close.len()])
}

/// The text inside an element found with [`element`], unescaped.
pub fn text(doc: &str, tag: &str) -> Option<String> {
    let e = element(doc, tag)?;
    let inner = &e[e.find('>')? + 1..];
    let inner = inner.strip_suffix(&format!("</{tag}>"))?;
    (!inner.contains('<')).then(|| unescape(inner))
}

/// The value of attribute `name` in the start tag of `elem`, unescaped.
pub fn attr(elem: &str, name: &str) -> Option<String> {
    let head = &elem[..elem.find('>')?];
    let key = format!(" {name}=\"");
    let at = head.find(&key)? + key.len();
    let len = head[at..].find('"')?;
    Some(unescape(&head[at..at + len]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_elements_text_and_attributes_once() {
        let doc = "<a x=\"1&amp;2\"><b>t&lt;</b><bb/><c k=\"v\"/></a>";
        assert_eq!(element(doc, "b"), Some("<b>t&lt;</b>"));
        assert_eq!(text(doc, "b").as_deref(), Some("t<"));
        assert_eq!(element(doc, "c"), Some("<c k=\"v\"/>"));
        assert_eq!(attr(element(doc, "c").unwrap(), "k").as_deref(), Some("v"));
        assert_eq!(attr(doc, "x").as_deref(), Some("1&2"));
        assert_eq!(attr(doc, "y"), None);
        assert_eq!(element(doc, "d"), None);
        assert_eq!(element("<b>1</b><b>2</b>", "b"), None, "repeated");
        assert_eq!(text("<b><i/></b>", "b"), None, "not plain text");
        assert_eq!(element("<b>unclosed", "b"), None);
    }

    #[test]
    fn escape_round_trips() {
        let s = "a<b>&\"c'";
        assert_eq!(unescape(&escape(s)), s);
        assert!(!escape(s).contains('<'));
    }
}

//! `application/x-www-form-urlencoded` text: query strings and form bodies.
//!
//! Guarantees: decoding never fails (a stray `%` stays a `%`, bytes that are not
//! UTF-8 become U+FFFD); pairs keep their order.

/// Every `name=value` pair of `text`, decoded, in order (a bare `name` has an empty value).
pub(crate) fn pairs(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
}

/// Decodes one component (`+` is a space, `%XX` a byte).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decode_plus_and_percent_escapes_in_order() {
        let got: Vec<(String, String)> =
            pairs("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&grant_type=client_credentials&a+b=&c").collect();
        assert_eq!(got[0], ("scope".into(), "https://graph.microsoft.com/.default".into()));
        assert_eq!(got[1], ("grant_type".into(), "client_credentials".into()));
        assert_eq!(got[2], ("a b".into(), String::new()));
        assert_eq!(got[3], ("c".into(), String::new()));
        assert_eq!(percent_decode("100%"), "100%");
    }
}

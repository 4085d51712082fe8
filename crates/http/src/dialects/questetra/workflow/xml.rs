//! A small, strict reader for the `criteria` XML of the list endpoints: elements, text,
//! the five predefined entities and character references, an optional `<?xml?>` prolog
//! and comments. Anything else (DOCTYPE, CDATA, processing instructions, attributes that
//! matter) is refused, so no entity expansion or external fetch can happen; size and depth
//! are bounded.

/// Largest criteria document, in bytes.
pub(crate) const MAX_BYTES: usize = 64 * 1024;
/// Deepest element nesting.
const MAX_DEPTH: usize = 8;

/// An element with its children and its text (trimmed).
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

struct Reader<'a> {
    s: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn skip_space(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.pos += n;
    }

    /// Skips whitespace, comments and (first) the prolog.
    fn skip_misc(&mut self) -> Result<(), String> {
        loop {
            self.skip_space();
            if self.rest().starts_with("<!--") {
                let end = self.rest()[4..]
                    .find("-->")
                    .ok_or("criteria has an unterminated comment.")?;
                self.pos += 4 + end + 3;
            } else if self.rest().starts_with("<?xml") && self.pos == 0 {
                let end = self
                    .rest()
                    .find("?>")
                    .ok_or("criteria has a bad XML declaration.")?;
                self.pos += end + 2;
            } else if self.rest().starts_with("<!") || self.rest().starts_with("<?") {
                return Err(
                    "criteria may not contain DOCTYPE, CDATA or processing instructions.".into(),
                );
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let n = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
            .unwrap_or(self.rest().len());
        if n == 0 {
            return Err("criteria is not well-formed XML (an element name is missing).".into());
        }
        let name = self.rest()[..n].to_string();
        self.pos += n;
        Ok(name)
    }

    fn element(&mut self, depth: usize) -> Result<Element, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "criteria is nested deeper than {MAX_DEPTH} levels."
            ));
        }
        if !self.rest().starts_with('<') {
            return Err("criteria is not well-formed XML (an element was expected).".into());
        }
        self.pos += 1;
        let name = self.name()?;
        // Attributes (such as xmlns) are skipped: they carry no search condition.
        let close = self
            .rest()
            .find('>')
            .ok_or("criteria is not well-formed XML (an unterminated tag).")?;
        let head = &self.rest()[..close];
        if head.contains('<') {
            return Err("criteria is not well-formed XML (a bad tag).".into());
        }
        let empty = head.ends_with('/');
        self.pos += close + 1;
        let mut el = Element {
            name,
            ..Default::default()
        };
        if empty {
            return Ok(el);
        }
        let mut text = String::new();
        loop {
            let lt = self
                .rest()
                .find('<')
                .ok_or_else(|| format!("criteria: element <{}> is not closed.", el.name))?;
            text += &unescape(&self.rest()[..lt])?;
            self.pos += lt;
            if self.rest().starts_with("</") {
                self.pos += 2;
                let end = self.name()?;
                self.skip_space();
                if end != el.name || !self.rest().starts_with('>') {
                    return Err(format!(
                        "criteria: element <{}> is closed by </{end}>.",
                        el.name
                    ));
                }
                self.pos += 1;
                el.text = text.trim().to_string();
                return Ok(el);
            }
            if self.rest().starts_with("<!--") {
                self.skip_misc()?;
                continue;
            }
            if self.rest().starts_with("<!") || self.rest().starts_with("<?") {
                return Err(
                    "criteria may not contain DOCTYPE, CDATA or processing instructions.".into(),
                );
            }
            el.children.push(self.element(depth + 1)?);
        }
    }
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out += &rest[..amp];
        let semi = rest[amp..]
            .find(';')
            .ok_or("criteria has a bad entity reference.")?;
        let entity = &rest[amp + 1..amp + semi];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or("criteria has a bad character reference.")?,
            e if e.starts_with('#') => e[1..]
                .parse::<u32>()
                .ok()
                .and_then(char::from_u32)
                .ok_or("criteria has a bad character reference.")?,
            e => return Err(format!("criteria uses the unknown entity &{e};.")),
        };
        out.push(c);
        rest = &rest[amp + semi + 1..];
    }
    out += rest;
    // XML 1.0 allows no other control characters (PostgreSQL text holds no NUL either).
    if out
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err("criteria holds a control character XML does not allow.".into());
    }
    Ok(out)
}

/// Parses a criteria document into its root element.
pub(crate) fn parse(s: &str) -> Result<Element, String> {
    if s.len() > MAX_BYTES {
        return Err(format!("criteria is larger than {MAX_BYTES} bytes."));
    }
    let mut r = Reader { s, pos: 0 };
    r.skip_misc()?;
    let root = r.element(1)?;
    r.skip_misc()?;
    if !r.rest().is_empty() {
        return Err("criteria has content after its root element.".into());
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_elements_text_and_entities() {
        let e = parse("<?xml version=\"1.0\"?><!-- c --><a x=\"1\"><b>T &amp; &#65;</b><c/></a>")
            .unwrap();
        assert_eq!(e.name, "a");
        assert_eq!(e.children[0].text, "T & A");
        assert_eq!(e.children[1].name, "c");
    }

    #[test]
    fn refuses_doctype_unknown_entities_and_bad_nesting() {
        assert!(parse("<!DOCTYPE a [<!ENTITY x \"y\">]><a/>").is_err());
        assert!(parse("<a>&x;</a>").is_err());
        assert!(parse("<a>a&#0;b</a>").is_err());
        assert!(parse("<a>a&#x1;b</a>").is_err());
        assert!(parse("<a>a\u{0}b</a>").is_err());
        assert!(parse("<a>tab&#9;ok</a>").is_ok());
        assert!(parse("<a><b></a></b>").is_err());
        assert!(parse("<a><![CDATA[x]]></a>").is_err());
        assert!(parse(&"<a>".repeat(20)).is_err());
        assert!(parse("<a></a><b/>").is_err());
        assert!(parse(&format!("<a>{}</a>", "x".repeat(70_000))).is_err());
    }
}

//! JSON with comments: `//` and `/* */` comments are blanked out (newlines kept, so serde's
//! line and column numbers still point at the right place) before strict JSON parsing.
//! Starter files written by `ccproxy config init` explain themselves in comments, and
//! claude-code-router's documented examples carry comments too.

/// Returns `text` with every comment outside a string replaced by spaces.
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                while let Some(&next) = chars.peek() {
                    if next == '\n' {
                        break;
                    }
                    out.push(' ');
                    chars.next();
                }
                out.push(' ');
            }
            ('/', Some('*')) => {
                chars.next();
                out.push_str("  ");
                let mut previous = ' ';
                for next in chars.by_ref() {
                    out.push(if next == '\n' { '\n' } else { ' ' });
                    if previous == '*' && next == '/' {
                        break;
                    }
                    previous = next;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strip_comments;

    #[test]
    fn comments_are_blanked_and_strings_kept() {
        let text = "{\n  // a comment\n  \"url\": \"http://x//y\", /* block\n */ \"n\": 1\n}";
        let stripped = strip_comments(text);
        let value: serde_json::Value = serde_json::from_str(&stripped).expect("valid JSON");
        assert_eq!(value["url"], "http://x//y");
        assert_eq!(value["n"], 1);
        assert_eq!(stripped.lines().count(), text.lines().count());
    }

    #[test]
    fn escaped_quotes_do_not_end_a_string() {
        let stripped = strip_comments(r#"{"a": "say \"//hi\""} // end"#);
        let value: serde_json::Value = serde_json::from_str(&stripped).expect("valid JSON");
        assert_eq!(value["a"], "say \"//hi\"");
    }
}

//! The progress lines a process prints (`::progress <percent 0-100> <step name>`) and a
//! line reader that cannot be made to buffer without bound.

use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest step name passed on to the server, in characters.
const MAX_STEP_CHARS: usize = 500;
/// Longest stdout line kept; the rest of a longer line is dropped.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The step a process reports it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub percentage: u8,
    pub step: String,
}

/// Reads one line: `::progress 40 Reading invoices` -> 40 %, "Reading invoices". Anything
/// else (other output, a percentage outside 0-100 or not a whole number) is not progress.
pub fn parse(line: &str) -> Option<Progress> {
    let rest = line
        .trim_end_matches(['\r', '\n'])
        .strip_prefix("::progress")?;
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start();
    let (number, step) = match rest.split_once([' ', '\t']) {
        Some((n, s)) => (n, s.trim()),
        None => (rest, ""),
    };
    let percentage: u8 = number.parse().ok()?;
    if percentage > 100 {
        return None;
    }
    Some(Progress {
        percentage,
        step: step.chars().take(MAX_STEP_CHARS).collect(),
    })
}

/// Splits a byte stream into lines of at most [`MAX_LINE_BYTES`] (longer ones are cut),
/// decoded lossily, so a process printing a huge line or binary data costs bounded memory.
pub struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    line: Vec<u8>,
    /// The current line passed the limit: drop bytes until its end.
    overflowed: bool,
    eof: bool,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            buf: Vec::new(),
            line: Vec::new(),
            overflowed: false,
            eof: false,
        }
    }

    /// The next line without its end of line, or `None` at the end of the stream.
    pub async fn next_line(&mut self) -> std::io::Result<Option<String>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let rest = self.buf.split_off(pos + 1);
                let chunk = std::mem::replace(&mut self.buf, rest);
                self.push(&chunk[..pos]);
                return Ok(Some(self.take_line()));
            }
            let chunk = std::mem::take(&mut self.buf);
            self.push(&chunk);
            if self.eof {
                if self.line.is_empty() && !self.overflowed {
                    return Ok(None);
                }
                return Ok(Some(self.take_line()));
            }
            let mut block = [0u8; 8192];
            let n = self.reader.read(&mut block).await?;
            if n == 0 {
                self.eof = true;
            }
            self.buf.extend_from_slice(&block[..n]);
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = MAX_LINE_BYTES.saturating_sub(self.line.len());
        if bytes.len() > room {
            self.overflowed = true;
        }
        self.line.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn take_line(&mut self) -> String {
        self.overflowed = false;
        let line = std::mem::take(&mut self.line);
        String::from_utf8_lossy(&line)
            .trim_end_matches('\r')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(percentage: u8, step: &str) -> Option<Progress> {
        Some(Progress {
            percentage,
            step: step.into(),
        })
    }

    #[test]
    fn progress_lines_give_percentage_and_step() {
        assert_eq!(
            parse("::progress 40 Reading invoices"),
            p(40, "Reading invoices")
        );
        assert_eq!(parse("::progress 0 Start\r\n"), p(0, "Start"));
        assert_eq!(parse("::progress 100"), p(100, ""));
        assert_eq!(parse("::progress\t7\t  Login  "), p(7, "Login"));
    }

    #[test]
    fn other_lines_are_not_progress() {
        for line in [
            "hello",
            "::progress",
            "::progress 101 Too far",
            "::progress -1 Negative",
            "::progress 4.5 Fraction",
            "::progressive 10 x",
            " ::progress 10 indented",
            "::progress abc",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
    }

    #[test]
    fn long_step_names_are_cut() {
        let line = format!("::progress 5 {}", "é".repeat(500));
        assert_eq!(parse(&line).unwrap().step.chars().count(), MAX_STEP_CHARS);
    }

    #[tokio::test]
    async fn lines_are_split_and_long_ones_cut() {
        let long = "x".repeat(MAX_LINE_BYTES * 2 + 5);
        let input = format!("one\r\ntwo\n{long}\nthree");
        let mut lines = Lines::new(input.as_bytes());
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("one"));
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("two"));
        let cut = lines.next_line().await.unwrap().unwrap();
        assert_eq!(cut.len(), MAX_LINE_BYTES);
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("three"));
        assert_eq!(lines.next_line().await.unwrap(), None);
    }
}

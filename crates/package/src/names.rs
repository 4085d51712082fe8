//! Brity's object-name rule, shared by package manifests and the server (project create,
//! copy): at most 64 characters, letters, digits and `_` only (no spaces), not starting
//! with a digit, not a reserved word. A name becomes a file or folder name on a bot, hence
//! the Windows device names among the reserved words.

use std::fmt;

/// Longest object name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Names a bot's file system cannot hold (Windows device names), compared without case.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Why a name is refused; `code()` is Brity's detail code (copy's failure table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    EmptyString,
    TooLongName,
    StartWithNumber,
    UseReservedWord,
    InvalidCharacter,
}

impl NameProblem {
    /// `EMPTY_STRING`, `TOO_LONG_NAME`, `START_WITH_NUMBER`, `USE_RESERVED_WORD` or
    /// `INVALID_CHARACTER`.
    pub fn code(self) -> &'static str {
        match self {
            Self::EmptyString => "EMPTY_STRING",
            Self::TooLongName => "TOO_LONG_NAME",
            Self::StartWithNumber => "START_WITH_NUMBER",
            Self::UseReservedWord => "USE_RESERVED_WORD",
            Self::InvalidCharacter => "INVALID_CHARACTER",
        }
    }
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EmptyString => "the name is empty",
            Self::TooLongName => "the name is longer than 64 characters",
            Self::StartWithNumber => "the name starts with a digit",
            Self::UseReservedWord => "the name is a reserved word",
            Self::InvalidCharacter => "the name may hold only letters, digits and '_'",
        })
    }
}

/// Checks an object (project, process flow, process) name.
pub fn check_name(name: &str) -> Result<(), NameProblem> {
    let Some(first) = name.chars().next() else {
        return Err(NameProblem::EmptyString);
    };
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameProblem::TooLongName);
    }
    if first.is_numeric() {
        return Err(NameProblem::StartWithNumber);
    }
    if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(NameProblem::InvalidCharacter);
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(NameProblem::UseReservedWord);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brity_names() {
        assert_eq!(check_name("P_ak_NotePad_실행"), Ok(()));
        assert_eq!(check_name("_x1"), Ok(()));
        assert_eq!(check_name(""), Err(NameProblem::EmptyString));
        assert_eq!(check_name(&"a".repeat(64)), Ok(()));
        assert_eq!(check_name(&"a".repeat(65)), Err(NameProblem::TooLongName));
        assert_eq!(check_name("1st"), Err(NameProblem::StartWithNumber));
        assert_eq!(check_name("a b"), Err(NameProblem::InvalidCharacter));
        assert_eq!(check_name("a-b"), Err(NameProblem::InvalidCharacter));
        assert_eq!(check_name("a/b"), Err(NameProblem::InvalidCharacter));
        assert_eq!(check_name("con"), Err(NameProblem::UseReservedWord));
        assert_eq!(check_name("Lpt9"), Err(NameProblem::UseReservedWord));
        assert_eq!(NameProblem::TooLongName.code(), "TOO_LONG_NAME");
    }
}

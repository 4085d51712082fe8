//! A user's person details, shown by Bonita, PlusWorkflow and Questetra: names, titles,
//! personnel number, manager. OmniBPM and Questetra know only a display name; their users
//! have empty first and last names, and [`Person::names`] then shows the display name.

use super::role::check_text;
use super::User;
use crate::{Result, UserId};
use chrono::{DateTime, Utc};

/// Person details of a user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Person {
    pub first_name: String,
    pub last_name: String,
    /// Form of address ("Mr", "Dr").
    pub title: String,
    pub job_title: String,
    /// Personnel number (PlusWorkflow `number`).
    pub number: String,
    pub icon: String,
    pub manager_id: Option<UserId>,
    /// `None`: created by the tenant administrator or an import.
    pub created_by: Option<UserId>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// A user with person details.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub user: User,
    pub person: Person,
}

impl Person {
    /// First and last name as shown: the stored names, or the display name as the first
    /// name when both are empty.
    pub fn names(&self, user: &User) -> (String, String) {
        if self.first_name.is_empty() && self.last_name.is_empty() {
            (user.display_name.clone(), String::new())
        } else {
            (self.first_name.clone(), self.last_name.clone())
        }
    }
}

/// The display name a dialect that sends first and last names gives a user.
pub fn display_name_of(first: &str, last: &str, login: &str) -> String {
    let joined = format!("{} {}", first.trim(), last.trim());
    let joined = joined.trim();
    if joined.is_empty() {
        login.to_string()
    } else {
        joined.to_string()
    }
}

/// Changes to person details; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PersonPatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub job_title: Option<String>,
    pub number: Option<String>,
    pub icon: Option<String>,
    /// `Some(None)` clears it.
    pub manager_id: Option<Option<UserId>>,
}

impl PersonPatch {
    /// Checks every text field's length.
    pub fn check(&self) -> Result<()> {
        for (name, v) in [
            ("firstname", &self.first_name),
            ("lastname", &self.last_name),
            ("title", &self.title),
            ("job_title", &self.job_title),
            ("number", &self.number),
            ("icon", &self.icon),
        ] {
            if let Some(v) = v {
                check_text(name, v)?;
            }
        }
        Ok(())
    }
}

/// A user cannot be their own manager, nor manage someone who (indirectly) manages them.
/// `chain` is the manager chain of the proposed manager, nearest first.
pub fn check_manager(user: UserId, manager: UserId, chain: &[UserId]) -> Result<()> {
    if manager == user || chain.contains(&user) {
        return Err(crate::Error::invalid(
            "manager_id would make the user their own manager.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_come_from_first_and_last_name() {
        assert_eq!(display_name_of("Ann", "Lee", "ann"), "Ann Lee");
        assert_eq!(display_name_of("", "Lee", "ann"), "Lee");
        assert_eq!(display_name_of(" ", "", "ann"), "ann");
    }

    #[test]
    fn managers_cannot_form_a_loop() {
        assert!(check_manager(UserId(1), UserId(1), &[]).is_err());
        assert!(check_manager(UserId(1), UserId(2), &[UserId(3), UserId(1)]).is_err());
        assert!(check_manager(UserId(1), UserId(2), &[UserId(3)]).is_ok());
    }
}

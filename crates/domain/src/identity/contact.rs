//! Contact data of a user, professional and personal (Bonita's two resources). The
//! professional e-mail is the user's own e-mail (`User::email`), so every dialect shows one
//! address.

use super::role::check_text;
use crate::Result;

/// Which set of contact data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKind {
    Professional,
    Personal,
}

impl ContactKind {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ContactKind::Professional => "professional",
            ContactKind::Personal => "personal",
        }
    }
}

/// One set of contact data; empty strings where nothing is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactData {
    pub email: String,
    pub phone_number: String,
    pub mobile_number: String,
    pub fax_number: String,
    pub building: String,
    pub room: String,
    pub address: String,
    pub zipcode: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub website: String,
}

impl ContactData {
    /// The fields with their wire names, in Bonita's order.
    pub fn fields(&self) -> [(&'static str, &String); 12] {
        [
            ("fax_number", &self.fax_number),
            ("building", &self.building),
            ("phone_number", &self.phone_number),
            ("website", &self.website),
            ("zipcode", &self.zipcode),
            ("state", &self.state),
            ("city", &self.city),
            ("country", &self.country),
            ("mobile_number", &self.mobile_number),
            ("address", &self.address),
            ("room", &self.room),
            ("email", &self.email),
        ]
    }

    /// The field named `name`, for writing.
    pub fn field_mut(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "fax_number" => &mut self.fax_number,
            "building" => &mut self.building,
            "phone_number" => &mut self.phone_number,
            "website" => &mut self.website,
            "zipcode" => &mut self.zipcode,
            "state" => &mut self.state,
            "city" => &mut self.city,
            "country" => &mut self.country,
            "mobile_number" => &mut self.mobile_number,
            "address" => &mut self.address,
            "room" => &mut self.room,
            "email" => &mut self.email,
            _ => return None,
        })
    }

    /// Checks every field's length.
    pub fn check(&self) -> Result<()> {
        for (name, value) in self.fields() {
            check_text(name, value)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_reachable_by_name() {
        let mut c = ContactData::default();
        let names: Vec<&str> = c.fields().iter().map(|(n, _)| *n).collect();
        for n in names {
            *c.field_mut(n).unwrap() = n.to_string();
        }
        assert!(c.fields().iter().all(|(n, v)| v.as_str() == *n));
        assert!(c.field_mut("password").is_none());
    }
}

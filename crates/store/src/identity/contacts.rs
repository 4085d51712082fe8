//! Contact data of users, professional and personal. The professional e-mail is the user's
//! own e-mail (`users.email`), so every dialect shows one address; its stored copy in
//! `user_contacts` stays empty.

use super::placeholders;
use crate::{Result, Store};
use sluice_domain::identity::{ContactData, ContactKind};
use sluice_domain::{validate, Error, OrgId, UserId};

#[derive(sqlx::FromRow)]
struct ContactRow {
    user_id: i64,
    user_email: String,
    /// NULL when the user has no row of this kind.
    kind: Option<String>,
    email: Option<String>,
    phone_number: Option<String>,
    mobile_number: Option<String>,
    fax_number: Option<String>,
    building: Option<String>,
    room: Option<String>,
    address: Option<String>,
    zipcode: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    website: Option<String>,
}

impl ContactRow {
    fn data(self, kind: ContactKind) -> ContactData {
        let s = |v: Option<String>| v.unwrap_or_default();
        ContactData {
            email: match kind {
                ContactKind::Professional => self.user_email,
                ContactKind::Personal => s(self.email),
            },
            phone_number: s(self.phone_number),
            mobile_number: s(self.mobile_number),
            fax_number: s(self.fax_number),
            building: s(self.building),
            room: s(self.room),
            address: s(self.address),
            zipcode: s(self.zipcode),
            city: s(self.city),
            state: s(self.state),
            country: s(self.country),
            website: s(self.website),
        }
    }
}

/// Users (`u`) with their contact row of kind `$1`, if any.
const CONTACT_SELECT: &str = "SELECT u.id AS user_id, u.email AS user_email, c.kind, c.email, \
     c.phone_number, c.mobile_number, c.fax_number, c.building, c.room, c.address, c.zipcode, \
     c.city, c.state, c.country, c.website \
     FROM users u LEFT JOIN user_contacts c ON c.user_id = u.id AND c.kind = $1";

/// Applies `(field, value)` changes to contact data and checks the result.
fn apply(mut data: ContactData, changes: &[(String, String)]) -> Result<ContactData> {
    for (field, value) in changes {
        let slot = data
            .field_mut(field)
            .ok_or_else(|| Error::invalid(format!("{field} is not a contact data attribute.")))?;
        *slot = value.clone();
    }
    data.check()?;
    data.email = validate::email(&data.email, false)?;
    Ok(data)
}

impl Store {
    /// A user's contact data of one kind (empty values where none were recorded).
    pub async fn contact_data(
        &self,
        org: OrgId,
        user: UserId,
        kind: ContactKind,
    ) -> Result<ContactData> {
        let found = self.contacts_by_users(org, &[user], kind).await?;
        found
            .into_iter()
            .next()
            .map(|(_, d)| d)
            .ok_or_else(|| Error::not_found("User", user).into())
    }

    /// The contact data of one kind of the organization's users among `ids`, in id order
    /// (unknown ids are left out). One query per thousand ids.
    pub async fn contacts_by_users(
        &self,
        org: OrgId,
        ids: &[UserId],
        kind: ContactKind,
    ) -> Result<Vec<(UserId, ContactData)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let sql = format!(
                "{CONTACT_SELECT} WHERE u.org_id = $2 AND u.id IN ({}) ORDER BY u.id",
                placeholders(3, chunk.len())
            );
            let rows: Vec<ContactRow> = read!(self, |db| {
                let mut q = sqlx::query_as(&sql).bind(kind.code()).bind(org.0);
                for id in chunk {
                    q = q.bind(id.0);
                }
                q.fetch_all(db).await?
            });
            out.extend(rows.into_iter().map(|r| (UserId(r.user_id), r.data(kind))));
        }
        Ok(out)
    }

    /// Records a user's contact data of one kind for the first time (forbidden when some is
    /// already recorded) or, with `replace`, creates or updates it. `changes` name fields by
    /// their wire names (`phone_number`, …); unnamed fields keep their value.
    pub async fn write_contact_data(
        &self,
        org: OrgId,
        user: UserId,
        kind: ContactKind,
        changes: Vec<(String, String)>,
        replace: bool,
    ) -> Result<ContactData> {
        let data = write_tx!(self, |tx| {
            let sql = format!("{CONTACT_SELECT} WHERE u.org_id = $2 AND u.id = $3");
            let row: Option<ContactRow> = sqlx::query_as(&sql)
                .bind(kind.code())
                .bind(org.0)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(Error::not_found("User", user).into());
            };
            if row.kind.is_some() && !replace {
                return Err(Error::Forbidden(format!(
                    "The {} contact data of user {user} already exist.",
                    kind.code()
                ))
                .into());
            }
            let data = apply(row.data(kind), &changes)?;
            let stored_email = match kind {
                ContactKind::Professional => "",
                ContactKind::Personal => data.email.as_str(),
            };
            sqlx::query(
                "INSERT INTO user_contacts (user_id, kind, email, phone_number, mobile_number, \
                 fax_number, building, room, address, zipcode, city, state, country, website) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (user_id, kind) DO UPDATE SET email = $3, phone_number = $4, \
                 mobile_number = $5, fax_number = $6, building = $7, room = $8, address = $9, \
                 zipcode = $10, city = $11, state = $12, country = $13, website = $14",
            )
            .bind(user.0)
            .bind(kind.code())
            .bind(stored_email)
            .bind(&data.phone_number)
            .bind(&data.mobile_number)
            .bind(&data.fax_number)
            .bind(&data.building)
            .bind(&data.room)
            .bind(&data.address)
            .bind(&data.zipcode)
            .bind(&data.city)
            .bind(&data.state)
            .bind(&data.country)
            .bind(&data.website)
            .execute(&mut *tx)
            .await?;
            if kind == ContactKind::Professional {
                sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
                    .bind(&data.email)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
            }
            data
        });
        Ok(data)
    }
}

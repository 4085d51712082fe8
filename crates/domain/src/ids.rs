//! Newtype identifiers. Numbers where the dialects show numbers (OmniBPM `__id__`).

use serde::{Deserialize, Serialize};

macro_rules! int_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

int_id!(
    /// An organization (tenant).
    OrgId,
    /// A department (organizational unit).
    DeptId,
    /// A rank (job grade).
    RankId,
    /// A user.
    UserId,
    /// A group of users.
    GroupId,
    /// A role (Bonita, Questetra and PlusWorkflow roles).
    RoleId,
    /// A workflow version.
    WorkflowId,
    /// A workflow family: every version of one workflow name; permissions belong to it.
    FamilyId,
    /// A node (approval step) of a workflow version.
    NodeId,
    /// A form field of a workflow version.
    FieldId,
    /// A document (case).
    DocId,
    /// A signature on a document (a sign, a reject or a CC reply).
    SignatureId,
    /// A CC (carbon copy) of a document to a user.
    CcId,
);

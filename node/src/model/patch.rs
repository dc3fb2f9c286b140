//! A PATCH field: absent (keep the stored value), `null` (clear it), or a new value.

use serde::{Deserialize, Deserializer};

/// One field of a PATCH body.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    /// Not in the body: keep.
    #[default]
    Keep,
    /// `null`: clear (refused for required fields).
    Clear,
    /// A new value.
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(|o| o.map_or(Patch::Clear, Patch::Set))
    }
}

impl<T> Patch<T> {
    /// Applies the patch to an optional stored value.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Keep => current,
            Patch::Clear => None,
            Patch::Set(v) => Some(v),
        }
    }

    /// Whether the body mentioned the field.
    pub fn is_present(&self) -> bool {
        !matches!(self, Patch::Keep)
    }
}

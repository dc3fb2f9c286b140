//! What a merchant request may say: the bodies of POST and PATCH, and the rules a shop's
//! fields obey (SIRET, postal and INSEE codes, opening hours, phone, e-mail, web site).

use super::{clean, max_chars, Patch};
use crate::error::{Checks, Result};
use crate::model::input::{MerchantCreate, MerchantPatch};
use crate::model::merchant::{Address, MerchantFields};
use etal_protocol::{taxonomy, validate};

fn required(p: Patch<String>, current: String, field: &str, checks: &mut Checks) -> String {
    match p {
        Patch::Keep => current,
        Patch::Clear => {
            checks.add(field, "is required and cannot be cleared");
            current
        }
        Patch::Set(v) => v,
    }
}

impl MerchantCreate {
    /// Splits the body into the slug and validated fields, or every problem found.
    pub fn validate(self) -> Result<(String, MerchantFields)> {
        let mut checks = Checks::default();
        let slug = clean(self.slug).unwrap_or_else(|| {
            checks.required("slug");
            String::new()
        });
        if !slug.is_empty() {
            checks.check("slug", validate::slug(&slug));
        }
        let name = clean(self.name).unwrap_or_else(|| {
            checks.required("name");
            String::new()
        });
        let address = self.address.unwrap_or_default();
        let postal_code = clean(address.postal_code).unwrap_or_else(|| {
            checks.required("address.postal_code");
            String::new()
        });
        let city = clean(address.city).unwrap_or_else(|| {
            checks.required("address.city");
            String::new()
        });
        let mut fields = MerchantFields {
            name,
            description: self.description,
            category: self.category,
            address: Address {
                street: address.street,
                postal_code,
                city,
                insee_code: address.insee_code,
            },
            geo: self.geo,
            phone: self.phone,
            email: self.email,
            website: self.website,
            opening_hours: self.opening_hours.unwrap_or_default(),
            siret: self.siret,
            indexable: self.indexable.unwrap_or(false),
        };
        fields.check(&mut checks);
        checks.finish()?;
        Ok((slug, fields))
    }
}

impl MerchantPatch {
    /// Applies the patch to the stored fields and validates the result.
    pub fn apply(self, slug: &str, current: &MerchantFields) -> Result<MerchantFields> {
        let mut checks = Checks::default();
        match &self.slug {
            Patch::Keep => {}
            Patch::Set(s) if s == slug => {}
            _ => checks.add("slug", "is permanent and cannot be changed"),
        }
        let c = current.clone();
        let name = required(self.name, c.name, "name", &mut checks);
        let address = match self.address {
            Patch::Keep => c.address,
            Patch::Clear => {
                checks.add("address", "is required and cannot be cleared");
                c.address
            }
            Patch::Set(a) => Address {
                street: a.street.apply(c.address.street),
                postal_code: required(
                    a.postal_code,
                    c.address.postal_code,
                    "address.postal_code",
                    &mut checks,
                ),
                city: required(a.city, c.address.city, "address.city", &mut checks),
                insee_code: a.insee_code.apply(c.address.insee_code),
            },
        };
        let indexable = match self.indexable {
            Patch::Keep => c.indexable,
            Patch::Clear => false,
            Patch::Set(v) => v,
        };
        let mut fields = MerchantFields {
            name,
            description: self.description.apply(c.description),
            category: self.category.apply(c.category),
            address,
            geo: self.geo.apply(c.geo),
            phone: self.phone.apply(c.phone),
            email: self.email.apply(c.email),
            website: self.website.apply(c.website),
            opening_hours: self
                .opening_hours
                .apply(Some(c.opening_hours))
                .unwrap_or_default(),
            siret: self.siret.apply(c.siret),
            indexable,
        };
        fields.check(&mut checks);
        checks.finish()?;
        Ok(fields)
    }
}

/// Longest shop name, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Longest shop description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 5000;

impl MerchantFields {
    /// Normalises (trims, drops empty texts) and checks every rule.
    pub(crate) fn check(&mut self, checks: &mut Checks) {
        super::check_name_and_description(
            &mut self.name,
            &mut self.description,
            MAX_NAME_CHARS,
            MAX_DESCRIPTION_CHARS,
            checks,
        );
        self.category = clean(self.category.take());
        if let Some(c) = &self.category {
            checks.check("category", taxonomy::check(c).map(|_| ()));
        }
        let a = &mut self.address;
        a.street = clean(a.street.take());
        checks.check("address.street", max_chars(&a.street, 200));
        a.postal_code = a.postal_code.trim().to_string();
        if !a.postal_code.is_empty() {
            checks.check("address.postal_code", validate::postal_code(&a.postal_code));
        }
        a.city = a.city.trim().to_string();
        checks.check("address.city", max_chars(&Some(a.city.clone()), 100));
        a.insee_code = clean(a.insee_code.take());
        if let Some(code) = &a.insee_code {
            checks.check("address.insee_code", validate::insee_code(code));
        }
        if let Some(g) = self.geo {
            if !(-90.0..=90.0).contains(&g.lat) {
                checks.add("geo.lat", "must be between -90 and 90");
            }
            if !(-180.0..=180.0).contains(&g.lon) {
                checks.add("geo.lon", "must be between -180 and 180");
            }
        }
        self.phone = clean(self.phone.take());
        if let Some(p) = &self.phone {
            checks.check("phone", validate::phone(p));
        }
        self.email = clean(self.email.take());
        if let Some(e) = &self.email {
            checks.check("email", validate::email(e));
        }
        self.website = clean(self.website.take());
        if let Some(w) = &self.website {
            checks.check("website", validate::website(w));
        }
        if self.opening_hours.len() > 14 {
            checks.add("opening_hours", "at most 14 entries");
        }
        for (i, h) in self.opening_hours.iter_mut().enumerate() {
            *h = h.split_whitespace().collect::<Vec<_>>().join(" ");
            checks.check(&format!("opening_hours[{i}]"), validate::opening_hours(h));
        }
        self.siret = clean(self.siret.take()).map(|s| s.replace(' ', ""));
        if let Some(s) = &self.siret {
            checks.check("siret", validate::siret(s));
        }
    }
}

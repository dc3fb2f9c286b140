//! The bodies of write requests, as plain data: what the API accepts and documents. Their
//! rules (checks, how a PATCH applies) are in `domain` (`merchant_input`, `product_input`,
//! `images`).

use serde::Deserialize;
use utoipa::ToSchema;

use super::merchant::Geo;
use super::patch::Patch;

/// A price as people type it, in a form or a spreadsheet, back to the API's decimal string:
/// `3,20 €`, `€3,20` or `1 250,00` → `3.20`, `3.20`, `1250.00` (checked afterwards like any
/// price).
pub fn typed_price(raw: &str) -> String {
    raw.trim()
        .trim_end_matches('€')
        .trim_start_matches('€')
        .trim()
        .replace([' ', '\u{a0}', '\u{202f}'], "")
        .replace(',', ".")
}

/// Body of `POST /api/v1/merchants`. `null` equals absent.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantCreate {
    /// Permanent, unique: `^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$`, not a reserved word.
    #[schema(required = true, example = "boulangerie-martin")]
    pub slug: Option<String>,
    /// Shop name.
    #[schema(required = true, example = "Boulangerie Martin")]
    pub name: Option<String>,
    /// Free text, at most 5,000 characters.
    pub description: Option<String>,
    /// Code from `GET /api/v1/categories`.
    #[schema(example = "food.bakery")]
    pub category: Option<String>,
    /// Postal address: `postal_code` and `city` are required.
    #[schema(required = true)]
    pub address: Option<AddressInput>,
    /// Coordinates.
    pub geo: Option<Geo>,
    /// Telephone, e.g. `+33 1 34 83 00 00`.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Web site, absolute http(s) URL.
    pub website: Option<String>,
    /// schema.org opening hours, e.g. `["Tu-Sa 08:00-19:30", "Su 08:00-12:30"]`.
    pub opening_hours: Option<Vec<String>>,
    /// 14 digits, Luhn-checked.
    #[schema(example = "73282932000074")]
    pub siret: Option<String>,
    /// Consent to aggregators and search engines (default false).
    pub indexable: Option<bool>,
}

/// An address in a request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    /// Street and number.
    pub street: Option<String>,
    /// Postal code.
    #[schema(required = true, example = "78120")]
    pub postal_code: Option<String>,
    /// Town.
    #[schema(required = true, example = "Rambouillet")]
    pub city: Option<String>,
    /// INSEE commune code: 5 characters (`78517`, `2A004`).
    #[schema(example = "78517")]
    pub insee_code: Option<String>,
}

/// Body of `PATCH /api/v1/merchants/{slug}`: fields present are set, `null` clears an optional
/// field, absent fields are kept. The slug cannot change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantPatch {
    /// Immutable: accepted only if equal to the current slug.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub slug: Patch<String>,
    /// Shop name.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub name: Patch<String>,
    /// Free text.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub description: Patch<String>,
    /// Taxonomy code.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub category: Patch<String>,
    /// Address fields to change.
    #[schema(value_type = Option<AddressPatch>)]
    #[serde(default)]
    pub address: Patch<AddressPatch>,
    /// Coordinates.
    #[schema(value_type = Option<Geo>)]
    #[serde(default)]
    pub geo: Patch<Geo>,
    /// Telephone.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub phone: Patch<String>,
    /// E-mail.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub email: Patch<String>,
    /// Web site.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub website: Patch<String>,
    /// Opening hours (replaces the whole list).
    #[schema(value_type = Option<Vec<String>>)]
    #[serde(default)]
    pub opening_hours: Patch<Vec<String>>,
    /// SIRET.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub siret: Patch<String>,
    /// Consent to aggregators and search engines.
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub indexable: Patch<bool>,
    /// Click & collect settings to change (only the shop's owners and the admin).
    #[serde(default)]
    pub reservations: Option<ReservationsPatch>,
}

/// Reservation settings in a merchant PATCH: fields present are set.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationsPatch {
    /// Customers may reserve (off by default).
    pub enabled: Option<bool>,
    /// Minutes between a reservation and its earliest pick-up (0 to 10080; default 60).
    pub preparation_minutes: Option<i64>,
    /// Length of a pick-up slot in minutes (5 to 240; default 30).
    pub slot_minutes: Option<i64>,
    /// Reservations per slot (1 to 1000; default 4).
    pub slot_capacity: Option<i64>,
    /// Minutes after its slot before an uncollected reservation expires (0 to 10080; default 60).
    pub grace_minutes: Option<i64>,
    /// Ids of the shop's products that cannot be reserved (replaces the list; all can by default).
    pub excluded_products: Option<Vec<String>>,
}

/// Address fields in a PATCH.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressPatch {
    /// Street and number.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub street: Patch<String>,
    /// Postal code (cannot be cleared).
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub postal_code: Patch<String>,
    /// Town (cannot be cleared).
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub city: Patch<String>,
    /// INSEE commune code.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub insee_code: Patch<String>,
}

/// Body of `POST /api/v1/merchants/{slug}/products`. `null` equals absent.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductCreate {
    /// Product name, at most 200 characters.
    #[schema(required = true, example = "Baguette tradition")]
    pub name: Option<String>,
    /// Decimal string, ≥ 0, with no more decimals than the currency allows.
    #[schema(required = true, example = "1.30")]
    pub price: Option<String>,
    /// ISO 4217 code (default `EUR`).
    #[schema(example = "EUR")]
    pub currency: Option<String>,
    /// `piece` (default), `kg`, `g`, `l`, `ml`, `m`, `box`, `dozen` or `bunch`.
    #[schema(example = "piece")]
    pub unit: Option<String>,
    /// `in_stock` (default), `out_of_stock` or `preorder`.
    #[schema(example = "in_stock")]
    pub availability: Option<String>,
    /// Free text, at most 5,000 characters.
    pub description: Option<String>,
    /// Units on hand (≥ 0); when tracked, reaching 0 sets `out_of_stock`.
    pub stock: Option<i64>,
    /// GTIN: 8, 12, 13 or 14 digits with a valid check digit.
    pub gtin: Option<String>,
    /// Code from `GET /api/v1/categories`.
    #[schema(example = "food.bakery")]
    pub category: Option<String>,
    /// Free tags (at most 20, each at most 40 characters).
    pub tags: Option<Vec<String>>,
    /// The shop's own reference, unique among its products (at most 64 characters).
    #[schema(example = "PAIN-001")]
    pub sku: Option<String>,
}

/// Body of `PATCH /api/v1/products/{id}`: present fields are set absolutely, `null` clears an
/// optional field, absent fields are kept. `stock_delta` adds to the stock atomically.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    /// Product name.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub name: Patch<String>,
    /// Decimal string; required when `currency` changes.
    #[schema(value_type = Option<String>, example = "3.20")]
    #[serde(default)]
    pub price: Patch<String>,
    /// ISO 4217 code.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub currency: Patch<String>,
    /// Sale unit.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub unit: Patch<String>,
    /// Availability.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub availability: Patch<String>,
    /// Free text.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub description: Patch<String>,
    /// Units on hand; `null` stops tracking stock.
    #[schema(value_type = Option<i64>)]
    #[serde(default)]
    pub stock: Patch<i64>,
    /// Added to the current stock atomically (negative to remove); not with `stock`.
    pub stock_delta: Option<i64>,
    /// GTIN.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub gtin: Patch<String>,
    /// The shop's own reference.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub sku: Patch<String>,
    /// Taxonomy code.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub category: Patch<String>,
    /// Replaces every tag.
    #[schema(value_type = Option<Vec<String>>)]
    #[serde(default)]
    pub tags: Patch<Vec<String>>,
}

/// Body of `PATCH /api/v1/products/{id}/images/{image_id}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImagePatch {
    /// Alternative text (at most 1,500 characters); `null` clears it.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub alt: Patch<String>,
    /// New 0-based position; the other photos shift.
    pub position: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::typed_price;

    #[test]
    fn prices_read_as_people_type_them() {
        assert_eq!(typed_price(" 3,20 € "), "3.20");
        assert_eq!(typed_price("€3,20"), "3.20");
        assert_eq!(typed_price("1\u{202f}250,00"), "1250.00");
        assert_eq!(typed_price("12"), "12");
    }
}

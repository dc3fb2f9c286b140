//! Open data, apart from ActivityPub: the documents a node publishes for harvesters, built
//! from its shops and products (`to_open_data`), and, on an aggregator, the harvest of other
//! nodes' change feeds (`harvest`) read into the mirror (`from_open_data`).

pub mod from_open_data;
pub mod harvest;
pub mod to_open_data;

#[cfg(test)]
mod tests {
    //! The feed is written from the typed records the harvester reads: what one node publishes
    //! of a shop and a product, another reads back as the same shop and product. (What the
    //! mirror then keeps is the rules' choice: `domain::mirror::fit_merchant` keeps no contact
    //! details of another node's shops.)

    use chrono::{TimeZone, Utc};
    use etal_protocol::open_data::{Change, ChangeAction, ChangePage, ChangeType, Record};
    use etal_protocol::{Availability, Currency, Money, Unit};
    use uuid::Uuid;

    use super::{from_open_data, to_open_data};
    use crate::media::Variant;
    use crate::model::image::Image;
    use crate::model::merchant::{Address, Geo, Merchant, MerchantFields};
    use crate::model::product::{Product, ProductFields};
    use crate::urls::Urls;

    #[test]
    fn a_shop_and_a_product_make_the_round_trip() {
        let urls = Urls::new(&url::Url::parse("https://ville.example").unwrap());
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap();
        let shop = Merchant {
            id: Uuid::now_v7(),
            slug: "boulangerie-martin".into(),
            ap_id: "https://ville.example/shops/boulangerie-martin".into(),
            fields: MerchantFields {
                name: "Boulangerie Martin".into(),
                description: Some("Pain au levain".into()),
                category: Some("food.bakery".into()),
                address: Address {
                    street: Some("12 rue Chasles".into()),
                    postal_code: "78120".into(),
                    city: "Rambouillet".into(),
                    insee_code: Some("78517".into()),
                },
                geo: Some(Geo {
                    lat: 48.6447,
                    lon: 1.8302,
                }),
                phone: Some("+33 1 34 83 00 01".into()),
                email: Some("contact@boulangerie.example".into()),
                website: Some("https://boulangerie.example".into()),
                opening_hours: vec!["Tu-Sa 07:00-19:30".into()],
                siret: Some("73282932000074".into()),
                indexable: true,
            },
            public_key_pem: None,
            version: 3,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        let id = Uuid::now_v7();
        let product = Product {
            id,
            merchant_id: shop.id,
            merchant_slug: shop.slug.clone(),
            ap_id: urls.product(&id).to_string(),
            local: true,
            url: None,
            fields: ProductFields {
                name: "Baguette tradition".into(),
                description: Some("250 g".into()),
                price: Money::parse("1.30", Currency::from_code("EUR").unwrap()).unwrap(),
                unit: Unit::Piece,
                availability: Availability::InStock,
                stock: Some(40),
                gtin: Some("3760012345670".into()),
                sku: None,
                category: Some("food.bakery".into()),
                tags: vec!["levain".into(), "pain".into()],
            },
            images: vec![],
            version: 2,
            created_at: at,
            updated_at: at,
            announced_at: None,
            deleted_at: None,
        };
        let photo = Image {
            id: Uuid::now_v7(),
            product_id: id,
            position: 0,
            alt: None,
            width: 1600,
            height: 1200,
            blurhash: String::new(),
            media_type: "image/webp".into(),
            variants: vec![Variant {
                name: "full".into(),
                path: format!("{id}/full.webp"),
                width: 1600,
                height: 1200,
            }],
            created_at: at,
        };
        let page = ChangePage {
            next_cursor: "2.b".into(),
            next: None,
            licence: None,
            items: vec![
                Change {
                    cursor: "1.a".into(),
                    kind: ChangeType::Merchant,
                    action: ChangeAction::Upsert,
                    id: Some(shop.ap_id.clone()),
                    data: Some(Record::Merchant(to_open_data::merchant_record(
                        &urls, &shop,
                    ))),
                },
                Change {
                    cursor: "2.b".into(),
                    kind: ChangeType::Product,
                    action: ChangeAction::Upsert,
                    id: Some(product.ap_id.clone()),
                    data: Some(Record::Product(to_open_data::product_record(
                        &urls,
                        &product,
                        Some(&vec![photo.clone()]),
                    ))),
                },
            ],
        };
        // As it travels: JSON, read back by the harvester's own types.
        let wire = serde_json::to_string(&page).unwrap();
        let read: ChangePage = serde_json::from_str(&wire).unwrap();
        let batch = from_open_data::batch("https://ville.example", read.items);

        assert_eq!(batch.merchants.len(), 1);
        let m = &batch.merchants[0];
        assert_eq!(m.ap_id, shop.ap_id);
        assert_eq!(
            m.handle.as_deref(),
            Some("boulangerie-martin@ville.example")
        );
        assert_eq!(m.fields, shop.fields);

        assert_eq!(batch.products.len(), 1);
        let (of, p) = &batch.products[0];
        assert_eq!(of, &shop.ap_id);
        assert_eq!(p.ap_id, product.ap_id);
        assert_eq!(p.fields, product.fields);
        assert_eq!(p.updated_at, at.timestamp_millis());
        let photos: Vec<&str> = p
            .images
            .iter()
            .map(|i| i.variant("full").path.as_str())
            .collect();
        assert_eq!(photos, [urls.media(&format!("{id}/full.webp")).as_str()]);
    }
}

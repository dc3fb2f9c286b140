//! What the templates show: plain structs of ready-to-print text, built from the model by
//! the functions here. Escaping is the template engine's; nothing here writes HTML.

use askama::Template;
use serde_json::{json, Value};

use super::texts::Texts;
use crate::model::image::Image;
use crate::model::merchant::Merchant;
use crate::model::product::Product;
use crate::present::{self, hours, Lang};
use crate::urls::Urls;
use etal_protocol::Availability;

/// The frame of every page: language, header, footer, scripts.
#[derive(Debug)]
pub struct Chrome {
    /// The page's language.
    pub lang: Lang,
    /// Its words.
    pub t: &'static Texts,
    /// The node's name.
    pub site_name: String,
    /// What the admin wrote about the node.
    pub site_description: Option<String>,
    /// The node's logo, if the admin uploaded one.
    pub logo: Option<String>,
    /// The stylesheet's URL (versioned).
    pub css: String,
    /// What the search box holds.
    pub q: String,
    /// The same page in the other language.
    pub switch_url: String,
    /// The other language's Open Graph locale.
    pub other_locale: &'static str,
    /// Scripts, loaded deferred.
    pub scripts: Vec<String>,
    /// Stylesheets besides the site's (Leaflet's on pages with a map).
    pub styles: Vec<String>,
}

/// The `<head>` of a page: title, description, canonical URL, previews.
#[derive(Debug, Default)]
pub struct Head {
    /// `<title>`.
    pub title: String,
    /// `og:title` (the title without the site's name).
    pub og_title: String,
    /// Meta description.
    pub description: String,
    /// Absolute canonical URL.
    pub canonical: String,
    /// `og:type`.
    pub og_type: &'static str,
    /// The share image.
    pub image: Option<OgImage>,
    /// Price amount and currency, for `product:price:*`.
    pub price: Option<(String, String)>,
    /// The ActivityPub document of the page.
    pub activity: Option<String>,
    /// `fediverse:creator`: `@shop@host`.
    pub creator: Option<String>,
    /// oEmbed discovery URL.
    pub oembed: Option<String>,
    /// Atom feed URL.
    pub feed: Option<String>,
    /// schema.org JSON-LD, already serialised for a `<script>` element.
    pub json_ld: Option<String>,
    /// Keep out of search engines.
    pub noindex: bool,
}

/// A share image.
#[derive(Debug)]
pub struct OgImage {
    /// Absolute URL.
    pub url: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Text alternative.
    pub alt: String,
}

/// A photo with its responsive sources.
#[derive(Debug)]
pub struct Img {
    /// Default source.
    pub src: String,
    /// Every size.
    pub srcset: String,
    /// Intrinsic width of `src`.
    pub width: u32,
    /// Intrinsic height of `src`.
    pub height: u32,
    /// The merchant's alt text (or the product's name).
    pub alt: String,
    /// The largest copy.
    pub full: String,
}

/// A photo for the pages, `size` being the default variant.
pub fn img(urls: &Urls, i: &Image, size: &str, fallback_alt: &str) -> Img {
    let v = i.variant(size);
    let mut srcset: Vec<String> = i
        .variants
        .iter()
        .map(|v| format!("{} {}w", urls.media(&v.path), v.width))
        .collect();
    srcset.reverse();
    Img {
        src: urls.media(&v.path).to_string(),
        srcset: srcset.join(", "),
        width: v.width,
        height: v.height,
        alt: i
            .alt
            .clone()
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| fallback_alt.to_string()),
        full: urls.media(&i.variant("full").path).to_string(),
    }
}

/// A product in a grid.
#[derive(Debug)]
pub struct ProductCard {
    /// Its page.
    pub url: String,
    /// Name.
    pub name: String,
    /// Price per unit.
    pub price: String,
    /// Availability in words.
    pub availability: &'static str,
    /// Whether it is in stock.
    pub in_stock: bool,
    /// The shop's name.
    pub shop: String,
    /// First photo.
    pub img: Option<Img>,
}

/// Where a product's page is: here, or for a mirrored product its page on the node that
/// published it (an https page of that node only; otherwise here, which says so).
pub fn page_of(urls: &Urls, p: &Product) -> String {
    let theirs = (!p.local)
        .then(|| crate::http::api::views::own_page(p))
        .flatten()
        .filter(|u| u.starts_with("https://"));
    theirs.map_or_else(|| urls.product(&p.id).to_string(), str::to_string)
}

/// Builds a grid card; `shop` names the product's shop.
pub fn product_card(urls: &Urls, p: &Product, shop: &str, lang: Lang) -> ProductCard {
    let f = &p.fields;
    ProductCard {
        url: page_of(urls, p),
        name: f.name.clone(),
        price: present::price_per_unit(&f.price, f.unit, lang),
        availability: present::availability(f.availability, lang),
        in_stock: f.availability == Availability::InStock,
        shop: shop.to_string(),
        img: p.images.first().map(|i| img(urls, i, "small", &f.name)),
    }
}

/// A shop on the map and in the list of addresses.
#[derive(Debug)]
pub struct ShopPlace {
    /// Its page.
    pub url: String,
    /// Name.
    pub name: String,
    /// Address on one line.
    pub address: String,
    /// Latitude and longitude.
    pub geo: Option<(f64, f64)>,
    /// The place on openstreetmap.org (the map without JavaScript).
    pub map_url: Option<String>,
}

/// The address of a shop on one line.
pub fn address_line(m: &Merchant) -> String {
    let a = &m.fields.address;
    match &a.street {
        Some(s) => format!("{s}, {} {}", a.postal_code, a.city),
        None => format!("{} {}", a.postal_code, a.city),
    }
}

/// The shop on openstreetmap.org.
pub fn map_url(m: &Merchant) -> Option<String> {
    m.fields.geo.map(|g| {
        format!(
            "https://www.openstreetmap.org/?mlat={0}&mlon={1}#map=18/{0}/{1}",
            g.lat, g.lon
        )
    })
}

/// Directions to the shop on openstreetmap.org.
pub fn directions_url(m: &Merchant) -> Option<String> {
    m.fields.geo.map(|g| {
        format!(
            "https://www.openstreetmap.org/directions?to={},{}",
            g.lat, g.lon
        )
    })
}

/// A shop for the map and the list.
pub fn place(urls: &Urls, m: &Merchant) -> ShopPlace {
    ShopPlace {
        url: urls.merchant(&m.slug).to_string(),
        name: m.fields.name.clone(),
        address: address_line(m),
        geo: m.fields.geo.map(|g| (g.lat, g.lon)),
        map_url: map_url(m),
    }
}

/// Where the map's tiles come from.
#[derive(Debug)]
pub struct MapData {
    /// URL template.
    pub tiles: String,
    /// Attribution text.
    pub attribution: String,
}

/// Links to the pages before and after.
#[derive(Debug, Default)]
pub struct Pager {
    /// This page's number, from 1.
    pub page: u32,
    /// The page before.
    pub prev: Option<String>,
    /// The page after.
    pub next: Option<String>,
}

/// The "follow this shop" box.
#[derive(Debug)]
pub struct FollowBox {
    /// `@slug@host`.
    pub handle: String,
    /// The shop's slug.
    pub slug: String,
}

/// A telephone number as shown and as dialled.
pub fn phone(p: &str) -> (String, String) {
    let dial: String = p
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    (p.to_string(), dial)
}

/// The JSON-LD text of a value, safe inside `<script>` (no `<`, `>` or `&` left).
pub fn json_ld(v: &Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// schema.org type of a shop, from its category.
pub fn business_type(category: Option<&str>) -> &'static str {
    match category.unwrap_or("") {
        "food.bakery" => "Bakery",
        "food.butcher" => "ButcherShop",
        "food.grocery" | "food.bulk" | "food.world" | "food.produce" | "food.farm" => {
            "GroceryStore"
        }
        "drinks.wine" | "drinks.beer" => "LiquorStore",
        c if c.starts_with("restaurant") => "FoodEstablishment",
        c if c.starts_with("drinks") => "FoodEstablishment",
        c if c.starts_with("food") => "Store",
        "home.florist" => "Florist",
        "home.hardware" => "HardwareStore",
        "home.furniture" => "FurnitureStore",
        "home.garden" => "GardenStore",
        c if c.starts_with("home") => "HomeGoodsStore",
        "fashion.shoes" => "ShoeStore",
        "fashion.jewellery" => "JewelryStore",
        c if c.starts_with("fashion") => "ClothingStore",
        _ => "Store",
    }
}

/// schema.org `LocalBusiness` of a shop.
pub fn local_business(urls: &Urls, m: &Merchant) -> Value {
    let f = &m.fields;
    let url = urls.merchant(&m.slug).to_string();
    let mut v = json!({
        "@type": business_type(f.category.as_deref()),
        "@id": format!("{url}#business"),
        "name": f.name,
        "url": url,
        "image": urls.merchant_part(&m.slug, "card.jpg").to_string(),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": f.address.street,
            "postalCode": f.address.postal_code,
            "addressLocality": f.address.city,
            "addressCountry": "FR",
        },
    });
    if let Some(d) = &f.description {
        v["description"] = json!(d);
    }
    if let Some(g) = f.geo {
        v["geo"] = json!({"@type": "GeoCoordinates", "latitude": g.lat, "longitude": g.lon});
    }
    if let Some(p) = &f.phone {
        v["telephone"] = json!(p);
    }
    let specs: Vec<Value> = hours::specifications(&f.opening_hours)
        .into_iter()
        .map(|s| {
            json!({
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": s.days.iter().map(|d| format!("https://schema.org/{d}")).collect::<Vec<_>>(),
                "opens": s.opens,
                "closes": s.closes,
            })
        })
        .collect();
    if !specs.is_empty() {
        v["openingHoursSpecification"] = json!(specs);
    }
    v
}

/// schema.org `BreadcrumbList` of (name, URL) pairs.
pub fn breadcrumbs(items: &[(String, String)]) -> Value {
    json!({
        "@type": "BreadcrumbList",
        "itemListElement": items.iter().enumerate().map(|(n, (name, url))| json!({
            "@type": "ListItem",
            "position": n + 1,
            "name": name,
            "item": url,
        })).collect::<Vec<_>>(),
    })
}

/// schema.org `Product` with its `Offer`.
pub fn product_ld(urls: &Urls, m: &Merchant, p: &Product, card: &str) -> Value {
    let f = &p.fields;
    let url = urls.product(&p.id).to_string();
    let mut images: Vec<String> = p
        .images
        .iter()
        .map(|i| urls.media(&i.variant("large").path).to_string())
        .collect();
    images.push(card.to_string());
    let availability = match f.availability {
        Availability::InStock => "https://schema.org/InStock",
        Availability::OutOfStock => "https://schema.org/OutOfStock",
        Availability::Preorder => "https://schema.org/PreOrder",
    };
    let mut v = json!({
        "@type": "Product",
        "@id": format!("{url}#product"),
        "name": f.name,
        "url": url,
        "sku": p.id.to_string(),
        "image": images,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": f.price.amount_string(),
            "priceCurrency": f.price.currency.code(),
            "availability": availability,
            "itemCondition": "https://schema.org/NewCondition",
            "seller": {
                "@type": business_type(m.fields.category.as_deref()),
                "@id": format!("{}#business", urls.merchant(&m.slug)),
                "name": m.fields.name,
            },
        },
    });
    if let Some(d) = &f.description {
        v["description"] = json!(d);
    }
    if let Some(g) = &f.gtin {
        v["gtin"] = json!(g);
    }
    if let Some(c) = &f.category {
        v["category"] = json!(present::category_label(c, Lang::Fr));
    }
    v
}

/// The home page.
#[allow(missing_docs)] // Fields: what the template of the same name prints.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub c: Chrome,
    pub head: Head,
    pub intro: String,
    pub categories: Vec<(String, String)>,
    pub newest: Vec<ProductCard>,
    pub all_products: String,
    pub shops: Vec<ShopPlace>,
    pub map: MapData,
}

/// Search results.
#[allow(missing_docs)] // Fields: what the template of the same name prints.
#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub c: Chrome,
    pub head: Head,
    pub heading: String,
    pub category_options: Vec<(String, String, bool)>,
    pub availability_options: Vec<(String, String, bool)>,
    pub shop: Option<String>,
    pub near_open: bool,
    pub lat: String,
    pub lon: String,
    pub km: String,
    pub near_code: String,
    pub town: Option<String>,
    pub towns: Vec<(String, String, i64)>,
    pub towns_note: Option<String>,
    pub error: Option<String>,
    pub count: String,
    pub results: Vec<ProductCard>,
    pub shops: Vec<ShopPlace>,
    pub map: MapData,
    pub pager: Pager,
}

/// A category's or a tag's products.
#[allow(missing_docs)] // Fields: what the template of the same name prints.
#[derive(Template)]
#[template(path = "listing.html")]
pub struct ListingPage {
    pub c: Chrome,
    pub head: Head,
    pub crumbs: Vec<(String, String)>,
    pub heading: String,
    pub links: Vec<(String, String)>,
    pub shops: Vec<ShopPlace>,
    pub map: MapData,
    pub count: String,
    pub products: Vec<ProductCard>,
    pub pager: Pager,
}

/// A shop.
#[allow(missing_docs)] // Fields: what the template of the same name prints.
#[derive(Template)]
#[template(path = "shop.html")]
pub struct ShopPage {
    pub c: Chrome,
    pub head: Head,
    pub crumbs: Vec<(String, String)>,
    pub icon: String,
    pub name: String,
    pub category: Option<String>,
    pub description: Option<String>,
    pub address: String,
    pub map_url: Option<String>,
    pub hours: Vec<String>,
    pub phone: Option<(String, String)>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub follow: FollowBox,
    pub places: Vec<ShopPlace>,
    pub map: MapData,
    pub count: String,
    pub products: Vec<ProductCard>,
    pub pager: Pager,
    pub feed: String,
}

/// A product.
#[allow(missing_docs)] // Fields: what the template of the same name prints.
#[derive(Template)]
#[template(path = "product.html")]
pub struct ProductPage {
    pub c: Chrome,
    pub head: Head,
    pub crumbs: Vec<(String, String)>,
    pub main_photo: Option<Img>,
    pub more_photos: Vec<Img>,
    pub card: String,
    pub name: String,
    pub price: String,
    pub availability: &'static str,
    pub availability_class: &'static str,
    pub stock: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<(String, String)>,
    pub shop_url: String,
    pub shop_name: String,
    pub shop_address: String,
    pub map_url: Option<String>,
    pub hours: Vec<String>,
    pub phone: Option<(String, String)>,
    pub follow: FollowBox,
    /// The "Réserver" form, when the product can be reserved.
    pub reserve: Option<ReserveBox>,
}

/// The product page's "Réserver" form: a quantity, posted to `/basket`.
pub struct ReserveBox {
    /// Product id.
    pub product: String,
    /// Most units (the stock, when tracked).
    pub max: i64,
    /// `fr` or `en`.
    pub lang: &'static str,
    /// "Quantité".
    pub quantity: &'static str,
    /// "Réserver".
    pub button: &'static str,
    /// "Payé en boutique, au retrait".
    pub hint: &'static str,
}

/// The open data: what the files are and how to harvest them.
#[allow(missing_docs)] // Fields: what the template of the same name prints.
#[derive(Template)]
#[template(path = "open_data.html")]
pub struct OpenDataPage {
    pub c: Chrome,
    pub head: Head,
    pub title: String,
    pub intro: String,
    pub licence_text: String,
    pub licence_name: &'static str,
    pub licence_url: &'static str,
    pub files_heading: &'static str,
    pub files: Vec<(String, String, String)>,
    pub how_heading: &'static str,
    pub how_text: &'static str,
}

/// Who runs the node, the licence of its data.
#[allow(missing_docs)] // Fields: what the template of the same name prints.
#[derive(Template)]
#[template(path = "about.html")]
pub struct AboutPage {
    pub c: Chrome,
    pub head: Head,
    pub operator: String,
    pub contact: Option<String>,
    pub contact_href: Option<String>,
    pub counts: String,
    pub licence_text: String,
    pub licence_name: &'static str,
    pub licence_url: &'static str,
}

/// 404, 410, 500.
#[allow(missing_docs)] // Fields: what the template of the same name prints.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: Chrome,
    pub head: Head,
    pub heading: String,
    pub text: String,
}

/// What to paste in one's fediverse app when one's server offers no way to follow from it
/// (`/follow`): the shop's handle, or the product's address.
#[allow(missing_docs)] // Fields: what the template of the same name prints.
#[derive(Template)]
#[template(path = "follow.html")]
pub struct FollowPage {
    pub c: Chrome,
    pub head: Head,
    pub heading: String,
    pub text: String,
    pub address: String,
    pub back_url: String,
    pub back_name: String,
}

//! The node's DCAT-AP catalogue, for data.gouv.fr's harvester and any other: one catalogue,
//! one dataset (the shops and their products), one distribution per open data file, the change
//! feed as a data service serving the dataset, with the
//! publisher (the node's operator), licence, contact point, last change and spatial coverage by
//! INSEE commune. The same graph in JSON-LD (`/open-data/catalog.jsonld`) and Turtle
//! (`/open-data/catalog.ttl`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::error::Result;
use crate::http::Node;

/// What the catalogue says, gathered once for both syntaxes.
struct Catalogue {
    base: String,
    title: String,
    description: String,
    publisher: String,
    contact: Option<String>,
    licence: &'static str,
    modified: String,
    communes: Vec<String>,
    language: &'static str,
}

/// One open data file.
struct File {
    name: &'static str,
    title: &'static str,
    media_type: &'static str,
    format: &'static str,
    schema: Option<&'static str>,
}

const FILES: [File; 3] = [
    File {
        name: "merchants.csv",
        title: "Commerces (CSV)",
        media_type: "text/csv",
        format: "CSV",
        schema: Some("merchants.tableschema.json"),
    },
    File {
        name: "products.csv",
        title: "Produits (CSV)",
        media_type: "text/csv",
        format: "CSV",
        schema: Some("products.tableschema.json"),
    },
    File {
        name: "products.ndjson",
        title: "Produits (NDJSON, un objet JSON par ligne)",
        media_type: "application/x-ndjson",
        format: "JSON",
        schema: Some("product.schema.json"),
    },
];

/// The change feed, as a DCAT data service.
const FEED_TITLE: &str = "Flux des changements (JSON, depuis un curseur)";

async fn gather(node: &Node) -> Result<Catalogue> {
    let site = node.cx.site();
    let (_, products_at, _, merchants_at) = crate::domain::open_data::version(&node.cx).await?;
    let communes = crate::domain::open_data::communes(&node.cx).await?;
    Ok(Catalogue {
        base: node.cx.urls.base().to_string(),
        title: format!("{} — commerces et produits", site.name),
        description: site.description.clone().unwrap_or_else(|| {
            format!(
                "Les commerces de {} qui ont accepté d'être repris, et leurs produits : nom, catégorie, adresse, horaires, prix, disponibilité, photos.",
                site.name
            )
        }),
        publisher: site.operator.clone().unwrap_or_else(|| site.name.clone()),
        contact: site.contact.clone(),
        licence: site.licence.url(),
        modified: crate::clock::time(products_at.max(merchants_at))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        communes,
        language: "http://publications.europa.eu/resource/authority/language/FRA",
    })
}

/// `mailto:` for an address, the URL otherwise.
fn contact_iri(contact: &str) -> Option<String> {
    if contact.contains('@') && !contact.contains('/') {
        Some(format!("mailto:{contact}"))
    } else if contact.starts_with("https://") || contact.starts_with("http://") {
        Some(contact.to_string())
    } else {
        None
    }
}

fn commune_iri(code: &str) -> String {
    format!("http://id.insee.fr/geo/commune/{code}")
}

fn json_ld(c: &Catalogue) -> Value {
    let catalogue = format!("{}/open-data/catalog", c.base);
    let dataset = format!("{}/open-data/#dataset", c.base);
    let publisher = format!("{}/about#publisher", c.base);
    let distributions: Vec<Value> = FILES
        .iter()
        .map(|f| {
            let url = format!("{}/open-data/{}", c.base, f.name);
            let mut d = json!({
                "@id": format!("{url}#distribution"),
                "@type": "dcat:Distribution",
                "dct:title": f.title,
                "dcat:accessURL": {"@id": format!("{}/open-data/", c.base)},
                "dcat:downloadURL": {"@id": url},
                "dcat:mediaType": {"@id": format!("https://www.iana.org/assignments/media-types/{}", f.media_type)},
                "dct:format": f.format,
                "dct:license": {"@id": c.licence},
                "dct:modified": {"@value": c.modified, "@type": "xsd:dateTime"},
            });
            if let Some(schema) = f.schema {
                d["dct:conformsTo"] = json!({"@id": format!("{}/open-data/{schema}", c.base)});
            }
            d
        })
        .collect();
    let mut ds = json!({
        "@id": dataset,
        "@type": "dcat:Dataset",
        "dct:identifier": dataset,
        "dct:title": c.title,
        "dct:description": c.description,
        "dct:publisher": {"@id": publisher},
        "dct:license": {"@id": c.licence},
        "dct:modified": {"@value": c.modified, "@type": "xsd:dateTime"},
        "dct:language": {"@id": c.language},
        "dcat:landingPage": {"@id": format!("{}/open-data/", c.base)},
        "dcat:keyword": ["commerce", "commerce de proximité", "produits", "horaires"],
        "dct:accrualPeriodicity": {"@id": "http://publications.europa.eu/resource/authority/frequency/CONT"},
        "dct:spatial": c.communes.iter().map(|code| json!({"@id": commune_iri(code)})).collect::<Vec<_>>(),
        "dcat:distribution": distributions,
    });
    if let Some(iri) = c.contact.as_deref().and_then(contact_iri) {
        ds["dcat:contactPoint"] = json!({
            "@type": "vcard:Kind",
            "vcard:fn": c.publisher,
            "vcard:hasEmail": if iri.starts_with("mailto:") { json!({"@id": iri}) } else { Value::Null },
            "vcard:hasURL": if iri.starts_with("mailto:") { Value::Null } else { json!({"@id": iri}) },
        });
    }
    json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@graph": [
            {
                "@id": catalogue,
                "@type": "dcat:Catalog",
                "dct:title": c.title,
                "dct:description": c.description,
                "dct:publisher": {"@id": publisher},
                "dct:license": {"@id": c.licence},
                "dct:modified": {"@value": c.modified, "@type": "xsd:dateTime"},
                "dct:language": {"@id": c.language},
                "foaf:homepage": {"@id": format!("{}/", c.base)},
                "dcat:dataset": {"@id": dataset},
                "dcat:service": {"@id": format!("{}/open-data/changes#service", c.base)},
            },
            {"@id": publisher, "@type": "foaf:Agent", "foaf:name": c.publisher},
            ds,
            {
                "@id": format!("{}/open-data/changes#service", c.base),
                "@type": "dcat:DataService",
                "dct:title": FEED_TITLE,
                "dcat:endpointURL": {"@id": format!("{}/open-data/changes", c.base)},
                "dcat:endpointDescription": {"@id": format!("{}/open-data/changes.schema.json", c.base)},
                "dcat:servesDataset": {"@id": dataset},
                "dct:license": {"@id": c.licence},
            },
        ],
    })
}

/// A Turtle string literal.
fn lit(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Turtle IRI.
fn iri(s: &str) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| match c {
            '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\' | ' ' => {
                format!("%{:02X}", c as u32).chars().collect::<Vec<_>>()
            }
            c => vec![c],
        })
        .collect();
    format!("<{escaped}>")
}

fn turtle(c: &Catalogue) -> String {
    let catalogue = format!("{}/open-data/catalog", c.base);
    let dataset = format!("{}/open-data/#dataset", c.base);
    let publisher = format!("{}/about#publisher", c.base);
    let date = format!("{}^^xsd:dateTime", lit(&c.modified));
    let mut t = String::from(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
         @prefix dct: <http://purl.org/dc/terms/> .\n\
         @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n\
         @prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n\
         @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n",
    );
    t.push_str(&format!(
        "{} a dcat:Catalog ;\n  dct:title {} ;\n  dct:description {} ;\n  dct:publisher {} ;\n  dct:license {} ;\n  dct:modified {date} ;\n  dct:language {} ;\n  foaf:homepage {} ;\n  dcat:dataset {} ;\n  dcat:service {} .\n\n",
        iri(&catalogue),
        lit(&c.title),
        lit(&c.description),
        iri(&publisher),
        iri(c.licence),
        iri(c.language),
        iri(&format!("{}/", c.base)),
        iri(&dataset),
        iri(&format!("{}/open-data/changes#service", c.base)),
    ));
    t.push_str(&format!(
        "{} a dcat:DataService ;\n  dct:title {} ;\n  dcat:endpointURL {} ;\n  dcat:endpointDescription {} ;\n  dcat:servesDataset {} ;\n  dct:license {} .\n\n",
        iri(&format!("{}/open-data/changes#service", c.base)),
        lit(FEED_TITLE),
        iri(&format!("{}/open-data/changes", c.base)),
        iri(&format!("{}/open-data/changes.schema.json", c.base)),
        iri(&dataset),
        iri(c.licence),
    ));
    t.push_str(&format!(
        "{} a foaf:Agent ;\n  foaf:name {} .\n\n",
        iri(&publisher),
        lit(&c.publisher)
    ));
    t.push_str(&format!(
        "{} a dcat:Dataset ;\n  dct:identifier {} ;\n  dct:title {} ;\n  dct:description {} ;\n  dct:publisher {} ;\n  dct:license {} ;\n  dct:modified {date} ;\n  dct:language {} ;\n  dcat:landingPage {} ;\n  dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/CONT> ;\n  dcat:keyword \"commerce\", \"commerce de proximité\", \"produits\", \"horaires\"",
        iri(&dataset),
        lit(&dataset),
        lit(&c.title),
        lit(&c.description),
        iri(&publisher),
        iri(c.licence),
        iri(c.language),
        iri(&format!("{}/open-data/", c.base)),
    ));
    for code in &c.communes {
        t.push_str(&format!(" ;\n  dct:spatial {}", iri(&commune_iri(code))));
    }
    if let Some(contact) = c.contact.as_deref().and_then(contact_iri) {
        let property = if contact.starts_with("mailto:") {
            "vcard:hasEmail"
        } else {
            "vcard:hasURL"
        };
        t.push_str(&format!(
            " ;\n  dcat:contactPoint [ a vcard:Kind ; vcard:fn {} ; {property} {} ]",
            lit(&c.publisher),
            iri(&contact)
        ));
    }
    for f in &FILES {
        t.push_str(&format!(
            " ;\n  dcat:distribution {}",
            iri(&format!("{}/open-data/{}#distribution", c.base, f.name))
        ));
    }
    t.push_str(" .\n");
    for f in &FILES {
        let url = format!("{}/open-data/{}", c.base, f.name);
        t.push_str(&format!(
            "\n{} a dcat:Distribution ;\n  dct:title {} ;\n  dcat:accessURL {} ;\n  dcat:downloadURL {} ;\n  dcat:mediaType {} ;\n  dct:format {} ;\n  dct:license {} ;\n  dct:modified {date}",
            iri(&format!("{url}#distribution")),
            lit(f.title),
            iri(&format!("{}/open-data/", c.base)),
            iri(&url),
            iri(&format!("https://www.iana.org/assignments/media-types/{}", f.media_type)),
            lit(f.format),
            iri(c.licence),
        ));
        if let Some(schema) = f.schema {
            t.push_str(&format!(
                " ;\n  dct:conformsTo {}",
                iri(&format!("{}/open-data/{schema}", c.base))
            ));
        }
        t.push_str(" .\n");
    }
    t
}

/// `/open-data/catalog.jsonld`.
pub async fn catalog_jsonld(State(node): State<Arc<Node>>) -> Result<Response> {
    let c = gather(&node).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/ld+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        json_ld(&c).to_string(),
    )
        .into_response())
}

/// `/open-data/catalog.ttl`.
pub async fn catalog_turtle(State(node): State<Arc<Node>>) -> Result<Response> {
    let c = gather(&node).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/turtle; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        turtle(&c),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turtle_literals_and_iris_are_escaped() {
        assert_eq!(lit("Le \"Marché\"\n"), "\"Le \\\"Marché\\\"\\n\"");
        assert_eq!(iri("http://x/a b>"), "<http://x/a%20b%3E>");
    }
}

//! Outbox events as the activities they stand for, rendered from the current state of their
//! objects (for fan-out, outbox collections and `/activities/{id}`).

use crate::domain::read::Subject;
use crate::federation::to_ap;
use crate::federation::Federation;
use crate::model::outbox::{Event, Kind, Verb};
use etal_protocol::ap::{Activity, ActivityType, Object, ObjectRef};

fn activity_type(verb: Verb) -> ActivityType {
    match verb {
        Verb::Create => ActivityType::Create,
        Verb::Update => ActivityType::Update,
        Verb::Delete => ActivityType::Delete,
    }
}

/// Renders the activity an event stands for, from the current state of its object
/// (`domain::read::subject`). `None` when there is nothing to say any more (a product created
/// then deleted before fan-out).
pub fn render_event(fed: &Federation, e: &Event, subject: Option<Subject>) -> Option<Activity> {
    let Subject {
        merchant,
        product,
        reservable,
    } = subject?;
    let urls = &fed.cx.urls;
    let actor = urls.merchant(&merchant.slug);
    let followers = urls.merchant_part(&merchant.slug, "followers");
    let id = urls.activity(&e.activity_id);
    let at = crate::clock::time(e.created_at);
    let (kind, object) = match (e.kind, e.verb) {
        (Kind::Product, verb) => {
            let p = product?;
            if verb == Verb::Delete {
                let deleted = p.deleted_at.unwrap_or(at);
                let t = to_ap::tombstone(&urls.product(&p.id), "Note", deleted, false);
                (ActivityType::Delete, Object::Tombstone(t))
            } else {
                if p.deleted_at.is_some() {
                    return None;
                }
                let note = to_ap::product_note(urls, &merchant, &p, false, reservable);
                (activity_type(verb), Object::Note(Box::new(note)))
            }
        }
        (Kind::Merchant, Verb::Delete) => {
            let a = to_ap::public_activity(
                id,
                ActivityType::Delete,
                &actor,
                &followers,
                ObjectRef::Id(actor.clone()),
                at,
            );
            return Some(a);
        }
        (Kind::Merchant, verb) => {
            if merchant.deleted_at.is_some() {
                return None;
            }
            let mut a = to_ap::merchant_actor(urls, &merchant);
            a.context = serde_json::Value::Null;
            (activity_type(verb), Object::Actor(Box::new(a)))
        }
    };
    Some(to_ap::public_activity(
        id,
        kind,
        &actor,
        &followers,
        ObjectRef::Object(Box::new(object)),
        at,
    ))
}

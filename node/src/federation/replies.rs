//! A shop answers a reply it received: a public `Note` in reply to it, mentioning its author,
//! delivered to the author's inbox in a signed `Create` and served at
//! `/shops/{slug}/replies/{id}`.

use etal_protocol::ap::{ActivityType, Object, ObjectRef};
use uuid::Uuid;

use super::to_ap;
use crate::domain::authz::Caller;
use crate::domain::{audience, merchants};
use crate::error::{Error, Result};
use crate::federation::Federation;
use crate::model::remote::ShopReply;

/// Answers the reply `interaction` of the shop `slug` with `text`, as the shop.
pub async fn answer(
    fed: &Federation,
    who: &Caller,
    slug: &str,
    interaction: Uuid,
    text: &str,
) -> Result<ShopReply> {
    let m = merchants::get(&fed.cx, slug).await?;
    let (reply_to, author) = audience::reply_to_answer(&fed.cx, who, m.id, interaction).await?;
    let content = audience::check_answer(text)?;
    let in_reply_to = reply_to
        .object_id
        .clone()
        .ok_or_else(|| Error::NotFound("this reply has no id to answer".into()))?;
    let reply = ShopReply {
        id: Uuid::now_v7(),
        merchant_id: m.id,
        interaction_id: reply_to.id,
        in_reply_to,
        to_actor: author.ap_id.clone(),
        content,
        created_at: fed.cx.clock.now_ms(),
    };
    let note = to_ap::shop_reply_note(&fed.cx.urls, &m, &reply, &author, false);
    let mut activity = to_ap::public_activity(
        to_ap::new_activity_id(&fed.cx.urls),
        ActivityType::Create,
        &fed.cx.urls.merchant(&m.slug),
        &fed.cx.urls.merchant_part(&m.slug, "followers"),
        ObjectRef::Object(Box::new(Object::Note(Box::new(note.clone())))),
        crate::clock::time(reply.created_at),
    );
    activity.cc = note.cc.clone();
    let body = serde_json::to_string(&activity).map_err(|e| Error::Internal(e.into()))?;
    let inbox = author.shared_inbox.clone().unwrap_or(author.inbox.clone());
    audience::record_answer(&fed.cx, &reply, activity.id.as_str(), &body, &inbox).await?;
    Ok(reply)
}

/// The document of an answer.
pub async fn document(fed: &Federation, slug: &str, id: &str) -> Result<etal_protocol::ap::Note> {
    let m = merchants::get(&fed.cx, slug).await?;
    let id = Uuid::parse_str(id).map_err(|_| Error::NotFound("no such answer".into()))?;
    let (reply, author) = audience::answer_of(&fed.cx, m.id, id).await?;
    Ok(to_ap::shop_reply_note(
        &fed.cx.urls,
        &m,
        &reply,
        &author,
        true,
    ))
}

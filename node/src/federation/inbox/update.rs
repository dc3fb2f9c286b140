//! `Update` of a remote actor (profile, key rotation) or of a reply.

use super::{InboxError, Verified};
use crate::domain::audience;
use crate::domain::Tx;
use crate::federation::sanitize;
use crate::federation::Federation;
use etal_protocol::ap::Object;

/// Applies an `Update` from `v`'s actor.
pub(super) async fn update(
    fed: &Federation,
    tx: &mut Tx,
    v: &Verified,
    now: i64,
) -> Result<(), InboxError> {
    let a = &v.activity;
    if let Some(Object::Actor(actor)) = a.object.object() {
        if actor.id == a.actor {
            // Key rotation and profile changes: the embedded document replaces ours, when
            // its key is under the actor's own URL (`{actor}#…` or `{actor}/…`). Another key
            // id could be another actor's: such a key is only trusted after a fetch from the
            // key's own URL (the next signature that fails refetches it).
            let doc = serde_json::to_value(actor).unwrap_or_default();
            let own_key = |k: &str| {
                let id = actor.id.as_str();
                k.strip_prefix(id)
                    .is_some_and(|rest| rest.starts_with('#') || rest.starts_with('/'))
            };
            let stored = super::verify::remote_actor(&doc, now)
                .ok()
                .map(|(_, s)| s)
                .filter(|s| s.key_id.as_deref().is_some_and(own_key));
            if let Some(stored) = stored {
                audience::save_actor(tx, &stored)
                    .await
                    .map_err(InboxError::internal)?;
                fed.forget_actor(&stored.ap_id);
            }
        }
    }
    if let Some(Object::Note(note)) = a.object.object() {
        let content = note.content.as_deref().map(sanitize::html);
        audience::edit_reply(tx, a.actor.as_str(), note.id.as_str(), content)
            .await
            .map_err(InboxError::internal)?;
    }
    Ok(())
}

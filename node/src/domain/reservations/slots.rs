//! Pick-up slots: a shop's day cut from its opening hours in the town's time zone, the free ones,
//! and the checks of a chosen (or the first free) slot inside a reservation's transaction.

use super::*;

/// The slots of a shop's day, in the town's time zone: each opening range cut into slots of
/// the shop's length, those ending after closing left out.
pub fn day_slots(
    hours: &[String],
    tz: chrono_tz::Tz,
    day: NaiveDate,
    slot_minutes: i64,
) -> Vec<(i64, i64)> {
    use chrono::Datelike;
    let (week, _) = crate::present::hours::week_of(hours);
    let weekday = day.weekday().num_days_from_monday() as usize;
    let mut out = Vec::new();
    let Some(ranges) = week.get(weekday) else {
        return out;
    };
    let step = slot_minutes.max(5);
    for &(open, close) in ranges {
        let open = i64::from(open);
        let close = if close <= open as u16 {
            24 * 60
        } else {
            i64::from(close)
        };
        let mut m = open;
        while m + step <= close {
            let local = day.and_hms_opt(0, 0, 0).expect("midnight") + chrono::Duration::minutes(m);
            if let Some(at) = tz.from_local_datetime(&local).earliest() {
                let start = at.timestamp_millis();
                out.push((start, start + step * 60_000));
            }
            m += step;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The town's date of an instant.
pub fn local_date(cx: &Context, ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&cx.settings.time_zone)
        .date_naive()
}

/// The free slots of a shop on a day (none when reservations are off).
pub async fn free_slots(cx: &Context, slug: &str, day: NaiveDate) -> Result<Vec<Slot>> {
    let m = shop(cx, slug).await?;
    let s = settings_of(cx, m.id).await?;
    if !s.enabled {
        return Ok(vec![]);
    }
    let now = cx.clock.now_ms();
    let slots = day_slots(
        &m.fields.opening_hours,
        cx.settings.time_zone,
        day,
        s.slot_minutes,
    );
    let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
        return Ok(vec![]);
    };
    let taken = db::reservations::taken_between(cx.db.pool(), m.id, first.0, last.0 + 1).await?;
    let earliest = now + s.preparation_minutes * 60_000;
    Ok(slots
        .into_iter()
        .filter(|(start, _)| *start >= earliest && *start <= now + DAYS_AHEAD * 86_400_000)
        .map(|(start, end)| Slot {
            start,
            end,
            left: s.slot_capacity
                - taken
                    .iter()
                    .find(|(t, _)| *t == start)
                    .map_or(0, |(_, n)| *n),
        })
        .filter(|s| s.left > 0)
        .collect())
}

/// The free slots of the next days, as many as `at_most`, for the basket page.
pub async fn next_slots(cx: &Context, slug: &str, at_most: usize) -> Result<Vec<Slot>> {
    let today = local_date(cx, cx.clock.now_ms());
    let mut out = Vec::new();
    for d in 0..DAYS_AHEAD {
        let day = today + chrono::Duration::days(d);
        out.extend(free_slots(cx, slug, day).await?);
        if out.len() >= at_most {
            out.truncate(at_most);
            break;
        }
    }
    Ok(out)
}

/// Checks a slot the customer chose: one of the shop's slots, after the preparation delay,
/// within the days ahead, with a place left.
pub(super) async fn check_slot(
    cx: &Context,
    tx: &mut db::Tx,
    m: &Merchant,
    s: &ReservationSettings,
    start: i64,
    now: i64,
) -> Result<(i64, i64)> {
    let day = local_date(cx, start);
    let slot = day_slots(&m.fields.opening_hours, cx.settings.time_zone, day, s.slot_minutes)
        .into_iter()
        .find(|(st, _)| *st == start)
        .ok_or_else(|| {
            conflict(
                "pickup",
                "the shop has no pick-up slot starting then: choose one of its slots (GET /api/v1/merchants/{slug}/slots)".into(),
            )
        })?;
    if start < now + s.preparation_minutes * 60_000 {
        return Err(conflict(
            "pickup",
            format!(
                "too soon: the shop needs {} minutes to prepare",
                s.preparation_minutes
            ),
        ));
    }
    if start > now + DAYS_AHEAD * 86_400_000 {
        return Err(conflict(
            "pickup",
            format!("too far ahead: at most {DAYS_AHEAD} days"),
        ));
    }
    if db::reservations::taken_in_slot(tx, m.id, start).await? >= s.slot_capacity {
        return Err(conflict(
            "pickup",
            "this slot is full: choose another".into(),
        ));
    }
    Ok(slot)
}

/// The first slot with a place (an `Offer` names none).
pub(super) async fn first_slot(
    cx: &Context,
    tx: &mut db::Tx,
    m: &Merchant,
    s: &ReservationSettings,
    now: i64,
) -> Result<(i64, i64)> {
    let today = local_date(cx, now);
    for d in 0..DAYS_AHEAD {
        let day = today + chrono::Duration::days(d);
        let slots = day_slots(
            &m.fields.opening_hours,
            cx.settings.time_zone,
            day,
            s.slot_minutes,
        );
        let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
            continue;
        };
        // One query a day, not one a slot.
        let taken = db::reservations::taken_between(&mut **tx, m.id, first.0, last.0 + 1).await?;
        for (start, end) in slots {
            let used = taken
                .iter()
                .find(|(t, _)| *t == start)
                .map_or(0, |(_, n)| *n);
            if start >= now + s.preparation_minutes * 60_000 && used < s.slot_capacity {
                return Ok((start, end));
            }
        }
    }
    Err(conflict(
        "pickup",
        "the shop has no free pick-up slot in the next two weeks".into(),
    ))
}

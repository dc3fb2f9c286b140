//! Property tests of every parser of outside input: real documents (the fixtures captured
//! from GoToSocial, Mitra and Fedify, the node's own files) mutated byte by byte and
//! structurally, then read as the node reads them. Each must not panic, and must not allocate
//! past its bound (counted by this binary's allocator, per thread).

use proptest::prelude::*;

use etal_props::alloc::peak_during;
use etal_props::inputs::{fixtures, headers, mutated, nested};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Activities and documents from outside: nesting checked before anything is built, then
    /// read into the protocol's types.
    #[test]
    fn activities_and_documents(input in mutated(fixtures("json"))) {
        let (_, peak) = peak_during(|| {
            if let Ok(value) = etal_node::federation::json::parse(&input) {
                let _ = etal_node::federation::verify_doc::<etal_protocol::ap::Activity>(&value);
                let _ = etal_node::federation::verify_doc::<etal_protocol::ap::Actor>(&value);
                let _ = etal_node::federation::verify_doc::<etal_protocol::ap::Object>(&value);
                let _ = etal_node::federation::verify_doc::<etal_protocol::ap::Jrd>(&value);
                let _ = etal_node::federation::verify_doc::<etal_protocol::ap::NodeInfo>(&value);
                let _ = etal_node::federation::verify_doc::<etal_protocol::ap::NodeInfoLinks>(&value);
            }
        });
        prop_assert!(peak <= 96 * input.len() + MIB, "{peak} bytes for {} bytes of input", input.len());
    }

    /// Deep nesting is refused before anything is built from it.
    #[test]
    fn nesting_bombs(depth in 17usize..5000, width in 1usize..64) {
        let input = nested(depth, width);
        let (parsed, peak) = peak_during(|| etal_node::federation::json::parse(&input).is_ok());
        prop_assert!(!parsed);
        prop_assert!(peak <= 64 * KIB, "{peak} bytes to refuse a bomb of depth {depth}");
    }

    /// `Signature` headers as peers send them.
    #[test]
    fn signature_headers(input in mutated(headers())) {
        let text = String::from_utf8_lossy(&input).into_owned();
        let (_, peak) = peak_during(|| {
            let _ = etal_node::federation::signing::parse_signature(&text);
        });
        prop_assert!(peak <= 4 * text.len() + 64 * KIB, "{peak} bytes for {} bytes", text.len());
    }

    /// Pages of another node's change feed, and the batch the harvester makes of them.
    #[test]
    fn change_feed_pages(input in mutated(fixtures("changes"))) {
        let (_, peak) = peak_during(|| {
            if let Ok(page) = serde_json::from_slice::<etal_protocol::open_data::ChangePage>(&input) {
                assert!(page.items.len() <= etal_protocol::open_data::MAX_ITEMS);
                let _ = etal_node::open_data::from_open_data::batch("https://feed.example", page.items);
            }
        });
        prop_assert!(peak <= 96 * input.len() + MIB, "{peak} bytes for {} bytes", input.len());
    }

    /// Spreadsheets to import: each row read within its bounds whatever its width or length.
    #[test]
    fn spreadsheet_rows(input in mutated(fixtures("csv"))) {
        let (report, peak) = peak_during(|| etal_node::domain::spreadsheet::check_file(&input));
        prop_assert!(report.errors.len() <= etal_node::domain::spreadsheet::MAX_REPORTED);
        prop_assert!(
            peak <= 3 * input.len() + 4 * MIB,
            "{peak} bytes for {} bytes of file", input.len()
        );
    }

    /// Opening hours as shops and peers write them.
    #[test]
    fn opening_hours(input in mutated(fixtures("hours"))) {
        let text = String::from_utf8_lossy(&input).into_owned();
        let (_, peak) = peak_during(|| {
            let _ = etal_protocol::validate::opening_hours(&text);
            let _ = etal_node::present::hours::parse(&text);
        });
        prop_assert!(peak <= 4 * text.len() + 64 * KIB, "{peak} bytes for {} bytes", text.len());
    }
}

/// The allocator counts what a parser takes (so that the bounds above cannot pass because
/// nothing is counted), and the fixtures unchanged are read as what they are.
#[test]
fn the_allocator_counts_and_the_fixtures_read() {
    let (_, peak) = peak_during(|| std::hint::black_box(vec![1u8; 3 * MIB]).len());
    assert!(peak >= 3 * MIB, "{peak}");
    let activities = fixtures("json")
        .iter()
        .filter(|f| {
            etal_node::federation::json::parse(f)
                .ok()
                .and_then(|v| {
                    etal_node::federation::verify_doc::<etal_protocol::ap::Activity>(&v).ok()
                })
                .is_some()
        })
        .count();
    assert!(
        activities >= 10,
        "{activities} activities among the fixtures"
    );
    for page in fixtures("changes") {
        serde_json::from_slice::<etal_protocol::open_data::ChangePage>(&page).unwrap();
    }
    for file in fixtures("csv") {
        let report = etal_node::domain::spreadsheet::check_file(&file);
        assert!(
            report.rows > 0 && report.bad_rows == 0,
            "{:?}",
            report.errors
        );
    }
    for h in headers() {
        etal_node::federation::signing::parse_signature(std::str::from_utf8(&h).unwrap()).unwrap();
    }
}

//! The BPMN MIWG reference models (crates/bpmn/tests/miwg, CC BY 3.0) through the import
//! endpoint: those in the supported subset import and run a case to completion through
//! OmniBPM; every other one is refused with its unsupported elements listed.

use crate::both;
use crate::bpmn_import::{activate, post_bpmn, run_to_end};
use crate::omnibpm_document::Co;
use crate::plusworkflow_client::admin;
use serde_json::json;

const FILES: &[(&str, &[u8])] = &[
    (
        "A.1.0",
        include_bytes!("../../../bpmn/tests/miwg/A.1.0.bpmn"),
    ),
    (
        "A.2.0",
        include_bytes!("../../../bpmn/tests/miwg/A.2.0.bpmn"),
    ),
    (
        "A.2.1",
        include_bytes!("../../../bpmn/tests/miwg/A.2.1.bpmn"),
    ),
    (
        "A.3.0",
        include_bytes!("../../../bpmn/tests/miwg/A.3.0.bpmn"),
    ),
    (
        "A.4.0",
        include_bytes!("../../../bpmn/tests/miwg/A.4.0.bpmn"),
    ),
    (
        "A.4.1",
        include_bytes!("../../../bpmn/tests/miwg/A.4.1.bpmn"),
    ),
    (
        "B.1.0",
        include_bytes!("../../../bpmn/tests/miwg/B.1.0.bpmn"),
    ),
    (
        "B.2.0",
        include_bytes!("../../../bpmn/tests/miwg/B.2.0.bpmn"),
    ),
    (
        "C.1.0",
        include_bytes!("../../../bpmn/tests/miwg/C.1.0.bpmn"),
    ),
    (
        "C.1.1",
        include_bytes!("../../../bpmn/tests/miwg/C.1.1.bpmn"),
    ),
    (
        "C.2.0",
        include_bytes!("../../../bpmn/tests/miwg/C.2.0.bpmn"),
    ),
    (
        "C.3.0",
        include_bytes!("../../../bpmn/tests/miwg/C.3.0.bpmn"),
    ),
];

both! {
    async fn reference_models_import_and_run_or_are_refused_with_their_elements(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let (_, token) = admin(&app, org, "root").await;
        let clerk = co.clerk(&app, "clerk").await;
        let mut imported = Vec::new();
        for (name, bytes) in FILES {
            let r = post_bpmn(&app, &token, bytes.to_vec(), "application/xml", &format!("?name={name}")).await;
            match r.status {
                201 => {
                    // Plain tasks are the creator's: the creator walks the case to its end.
                    let id = r.body["id"].as_i64().unwrap();
                    activate(&app, org, id).await;
                    let d = run_to_end(&app, org, id, clerk, json!({}), 10).await;
                    assert_eq!(d["is_completed"], true, "{name}");
                    imported.push(*name);
                }
                400 => {
                    assert_eq!(r.body["code"], "unsupported_bpmn", "{name}: {}", r.body);
                    let problems = r.body["problems"].as_array().unwrap();
                    assert!(!problems.is_empty(), "{name}");
                    assert!(problems.iter().all(|p| p["element"].is_string() && p["id"].is_string()), "{name}");
                }
                other => panic!("{name}: {other} {}", r.body),
            }
        }
        assert_eq!(imported, ["A.1.0", "A.2.0"]);
    }
}

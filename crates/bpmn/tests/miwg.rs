//! The BPMN MIWG reference models (tests/miwg/README.md): each imports or is refused with
//! the list of what it uses outside the subset; none is malformed.

use sluice_bpmn::{import, ImportError};

const FILES: &[(&str, &[u8])] = &[
    ("A.1.0", include_bytes!("miwg/A.1.0.bpmn")),
    ("A.2.0", include_bytes!("miwg/A.2.0.bpmn")),
    ("A.2.1", include_bytes!("miwg/A.2.1.bpmn")),
    ("A.3.0", include_bytes!("miwg/A.3.0.bpmn")),
    ("A.4.0", include_bytes!("miwg/A.4.0.bpmn")),
    ("A.4.1", include_bytes!("miwg/A.4.1.bpmn")),
    ("B.1.0", include_bytes!("miwg/B.1.0.bpmn")),
    ("B.2.0", include_bytes!("miwg/B.2.0.bpmn")),
    ("C.1.0", include_bytes!("miwg/C.1.0.bpmn")),
    ("C.1.1", include_bytes!("miwg/C.1.1.bpmn")),
    ("C.2.0", include_bytes!("miwg/C.2.0.bpmn")),
    ("C.3.0", include_bytes!("miwg/C.3.0.bpmn")),
];

#[test]
fn every_reference_model_imports_or_is_refused_with_its_elements() {
    for (name, bytes) in FILES {
        match import(bytes) {
            Ok(m) => println!(
                "{name}: imported, {} nodes, warnings {:?}",
                m.nodes.len(),
                m.warnings
            ),
            Err(ImportError::Unsupported(ps)) | Err(ImportError::Invalid(ps)) => {
                assert!(!ps.is_empty(), "{name}");
                println!("{name}: refused: {ps:?}");
            }
            Err(e @ ImportError::Malformed(_)) => panic!("{name} is well-formed BPMN: {e}"),
        }
    }
}

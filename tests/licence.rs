//! The licence the manifest declares, `MIT OR Apache-2.0`, is shipped as the two texts it names.

use std::path::Path;

fn text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} is missing: {e}", path.display()))
}

#[test]
fn the_declared_licences_are_shipped() {
    assert_eq!(env!("CARGO_PKG_LICENSE"), "MIT OR Apache-2.0");
    let mit = text("LICENSE-MIT");
    assert!(
        mit.starts_with("MIT License"),
        "LICENSE-MIT is the MIT text"
    );
    assert!(mit.contains("Copyright (c) 2026 the specstar developers"));
    assert!(mit.contains("THE SOFTWARE IS PROVIDED \"AS IS\""));
    let apache = text("LICENSE-APACHE");
    assert!(
        apache.contains("Apache License\n                           Version 2.0, January 2004")
    );
    assert!(apache.contains("END OF TERMS AND CONDITIONS"));
}

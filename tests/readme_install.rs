//! The README's install section names the dependencies a user adds, at the versions this
//! workspace builds with, so that a model derives the traits specstar needs.

use std::path::Path;

fn read(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

/// The first ```toml block after the `## Install` heading.
fn install_block(readme: &str) -> &str {
    let section = &readme[readme.find("## Install").expect("an install section")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let len = section[start..].find("```").unwrap();
    &section[start..start + len]
}

#[test]
fn the_install_section_gives_the_dependencies_at_the_built_versions() {
    let readme = read("README.md");
    let block = install_block(&readme);
    let lines: Vec<&str> = block
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .collect();
    assert_eq!(lines[0], "[dependencies]");
    let version = env!("CARGO_PKG_VERSION");
    let minor = &version[..version.rfind('.').unwrap()];
    assert!(
        lines.contains(&format!("specstar = \"{minor}\"").as_str()),
        "{block}"
    );
    assert!(
        lines.contains(&r#"serde = { version = "1", features = ["derive"] }"#),
        "{block}"
    );
    assert!(lines.contains(&r#"schemars = "1""#), "{block}");
    assert!(lines.iter().any(|l| l.starts_with("tokio = ")), "{block}");

    // The versions the workspace builds with are the ones the README names.
    let manifest = read("Cargo.toml");
    assert!(
        manifest.contains("\nschemars = \"1\"\n"),
        "the workspace builds with schemars 1"
    );
    assert!(
        manifest.contains("\nserde = { version = \"1\","),
        "the workspace builds with serde 1"
    );
}

// Derives through the facade's re-exports alone make a model: the README's advice compiles.
#[derive(specstar::Serialize, specstar::Deserialize, specstar::JsonSchema)]
#[serde(crate = "specstar::serde")]
#[schemars(crate = "specstar::schemars")]
struct Issue {
    title: String,
}

#[tokio::test]
async fn a_model_derived_through_the_re_exports_is_served() {
    let spec = specstar::Spec::in_memory();
    spec.add_model(specstar::Schema::<Issue>::new("v1"))
        .await
        .unwrap();
    let mgr = spec.resource_manager::<Issue>().unwrap();
    let info = mgr.create(Issue { title: "a".into() }).await.unwrap();
    assert_eq!(mgr.get(&info.resource_id).await.unwrap().data.title, "a");
}

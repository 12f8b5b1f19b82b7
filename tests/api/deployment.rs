//! `GET /v1/metadata/deployment`: Confluent's `{"attributes": [...]}`, from
//! `--deployment-attributes` (each trimmed, as Confluent trims them); none by default. And
//! `GET /v1/metadata/id`, from `--cluster-id`.

use clap::Parser;
use schemata::app::Options;
use schemata::cli::args::{Cli, Command};
use serde_json::json;

use crate::helpers::TestApp;

fn options(args: &[&str]) -> Options {
    let mut argv = vec!["schemata", "serve", "--storage", "file:///unused"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv).unwrap().command {
        Command::Serve(serve) => Options::try_from(&*serve).unwrap(),
        _ => unreachable!("parsed as serve"),
    }
}

#[tokio::test]
async fn deployment_attributes_are_none_by_default_and_as_configured() {
    let app = TestApp::spawn().await;
    let r = app.get("/v1/metadata/deployment").await;
    assert_eq!((r.status, r.body), (200, json!({"attributes": []})));

    let attributes =
        options(&["--deployment-attributes", " schemata , eu-west,on-prem "]).deployment_attributes;
    assert_eq!(attributes, ["schemata", "eu-west", "on-prem"]);
    assert!(options(&[]).deployment_attributes.is_empty());
    let app = TestApp::spawn_changed(|o| o.deployment_attributes = attributes).await;
    let r = app.get("/v1/metadata/deployment").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"attributes": ["schemata", "eu-west", "on-prem"]})
        )
    );
}

#[tokio::test]
async fn the_cluster_id_is_confluent_s_default_or_as_configured() {
    let app = TestApp::spawn().await;
    let r = app.get("/v1/metadata/id").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"scope": {"path": [], "clusters": {"schema-registry-cluster": "schema-registry"}}})
        )
    );
    assert_eq!(options(&["--cluster-id", "dc-1.eu"]).cluster_id, "dc-1.eu");
    let argv = ["schemata", "serve", "--cluster-id", ":.a:"];
    let error = Cli::try_parse_from(argv).err().unwrap().to_string();
    assert!(
        error.contains("invalid value ':.a:' for '--cluster-id <CLUSTER_ID>': ':.a:' is not a cluster id: use letters, digits, '-', '_' and '.'"),
        "{error}"
    );
}

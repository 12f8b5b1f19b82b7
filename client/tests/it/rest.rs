use std::time::Duration;

use std::sync::atomic::Ordering;

use schemata_client::{Auth, Client, ClientConfig, Config, Error, Schema, SchemaType};

use crate::common::{fake, registry};

#[tokio::test]
async fn endpoints_round_trip_with_percent_encoded_subjects() {
    let r = registry().await;
    let client = Client::from_url(&r.url).unwrap();
    let schema = Schema::new(SchemaType::Avro, "\"string\"");
    assert_eq!(client.register("a/b c", &schema, false).await.unwrap(), 1);
    assert_eq!(client.subjects(false).await.unwrap(), vec!["a/b c"]);
    assert_eq!(
        client
            .lookup("a/b c", &schema, false)
            .await
            .unwrap()
            .version,
        1
    );
    assert_eq!(client.schema_by_id(1).await.unwrap().schema, "\"string\"");
    assert_eq!(client.latest("a/b c").await.unwrap().id, 1);
    let check = client
        .check_compatibility("a/b c", Some(1), &Schema::new(SchemaType::Avro, "\"int\""))
        .await
        .unwrap();
    assert!(!check.is_compatible);
    assert_eq!(check.messages.len(), 4, "{:?}", check.messages);
    let set = Config {
        compatibility: Some("NONE".into()),
        ..Config::default()
    };
    client.set_config(Some("a/b c"), &set).await.unwrap();
    assert_eq!(
        client
            .config(Some("a/b c"))
            .await
            .unwrap()
            .compatibility
            .as_deref(),
        Some("NONE")
    );
    assert_eq!(client.mode(None).await.unwrap().mode, "READWRITE");
    assert_eq!(
        client.schema_types().await.unwrap(),
        vec!["JSON", "PROTOBUF", "AVRO"]
    );
    assert_eq!(
        client.delete_subject("a/b c", false).await.unwrap(),
        vec![1]
    );
    let err = client.latest("a/b c").await.unwrap_err();
    assert_eq!(err.code(), Some(40401));
}

#[tokio::test]
async fn a_dead_url_fails_over_to_the_next() {
    let r = registry().await;
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let config = ClientConfig {
        urls: vec![dead_url, r.url.clone()],
        auth: Some(Auth::Bearer("token".into())),
        ..ClientConfig::new("")
    };
    let client = Client::new(config).unwrap();
    assert_eq!(client.schema_types().await.unwrap().len(), 3);
}

#[tokio::test]
async fn concurrent_misses_make_one_request() {
    let (url, count) = fake(
        vec![(200, r#"{"schema":"\"string\""}"#)],
        Duration::from_millis(100),
    )
    .await;
    let client = Client::from_url(url).unwrap();
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.schema_by_id(5).await.unwrap().schema.clone() })
    });
    for call in calls {
        assert_eq!(call.await.unwrap(), "\"string\"");
    }
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn server_errors_are_retried_client_errors_are_not_and_404s_are_briefly_remembered() {
    let (url, count) = fake(
        vec![
            (503, r#"{"error_code":50003,"message":"busy"}"#),
            (429, "{}"),
            (200, r#"{"schema":"\"int\""}"#),
        ],
        Duration::ZERO,
    )
    .await;
    let config = ClientConfig {
        backoff: Duration::from_millis(1),
        ..ClientConfig::new(url)
    };
    let client = Client::new(config).unwrap();
    assert_eq!(client.schema_by_id(1).await.unwrap().schema, "\"int\"");
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 3);

    let (url, count) = fake(
        vec![(
            404,
            r#"{"error_code":40403,"message":"Schema 2 not found"}"#,
        )],
        Duration::ZERO,
    )
    .await;
    let client = Client::from_url(url).unwrap();
    for _ in 0..3 {
        assert_eq!(
            client.schema_by_id(2).await.unwrap_err().code(),
            Some(40403)
        );
    }
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_success_with_an_unexpected_body_is_its_own_error_and_no_other_url_is_asked() {
    let long: &'static str = "x".repeat(5_000).leak();
    let cases = [
        (
            "<html>Bad gateway</html>\n",
            "expected Schema as JSON, got `<html>Bad gateway</html>\\n`: \
             not JSON (expected value at line 1 column 1)"
                .to_string(),
        ),
        (
            r#"{"id":1}"#,
            "expected Schema as JSON, got `{\"id\":1}`: missing field `schema` at line 1 column 8"
                .to_string(),
        ),
        (
            "",
            "expected Schema as JSON, got an empty body: \
             not JSON (EOF while parsing a value at line 1 column 0)"
                .to_string(),
        ),
        (
            long,
            format!(
                "expected Schema as JSON, got 5000 bytes beginning `{}`: \
                 not JSON (expected value at line 1 column 1)",
                "x".repeat(100)
            ),
        ),
    ];
    for (body, detail) in cases {
        let (first, asked_first) = fake(vec![(200, body)], Duration::ZERO).await;
        let (second, asked_second) =
            fake(vec![(200, r#"{"schema":"\"int\""}"#)], Duration::ZERO).await;
        let config = ClientConfig {
            urls: vec![first.clone(), second],
            backoff: Duration::from_millis(1),
            ..ClientConfig::new("")
        };
        let client = Client::new(config).unwrap();
        let err = client.schema_by_id(1).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("unexpected response from GET {first}/schemas/ids/1 (HTTP 200): {detail}")
        );
        assert!(
            matches!(err, Error::UnexpectedResponse { status: 200, .. }),
            "{err:?}"
        );
        assert_eq!(asked_first.load(Ordering::SeqCst), 1, "{body:?}");
        assert_eq!(asked_second.load(Ordering::SeqCst), 0, "{body:?}");
    }

    // Registering expects `{"id": N}` with N a u32.
    let (first, asked_first) = fake(vec![(200, r#"{"id":"seven"}"#)], Duration::ZERO).await;
    let (second, asked_second) = fake(vec![(200, r#"{"id":7}"#)], Duration::ZERO).await;
    let config = ClientConfig {
        urls: vec![first.clone(), second],
        ..ClientConfig::new("")
    };
    let client = Client::new(config).unwrap();
    let schema = Schema::new(SchemaType::Avro, "\"string\"");
    assert_eq!(
        client
            .register("orders-value", &schema, false)
            .await
            .unwrap_err()
            .to_string(),
        format!(
            "unexpected response from POST {first}/subjects/orders-value/versions?normalize=false \
             (HTTP 200): expected Registration as JSON, got `{{\"id\":\"seven\"}}`: \
             invalid type: string \"seven\", expected u32 at line 1 column 13"
        )
    );
    assert_eq!(asked_first.load(Ordering::SeqCst), 1);
    assert_eq!(asked_second.load(Ordering::SeqCst), 0);
}

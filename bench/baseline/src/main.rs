//! Bare axum serving, on Schemata's routes, the bodies Schemata returns for them: what the HTTP
//! stack alone costs on this machine. Usage: `schemata-bench-baseline ADDR SCHEMA_BODY`.

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};
use axum::Router;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().expect("listen address");
    let schema_body: &'static str = Box::leak(args.next().expect("GET body").into_boxed_str());
    const JSON: &str = "application/vnd.schemaregistry.v1+json";
    let app = Router::new()
        .route("/schemas/ids/{id}", get(move || async move { ([(CONTENT_TYPE, JSON)], schema_body) }))
        .route(
            "/subjects/{subject}/versions",
            // Reads the request body, as a registration must, and answers with an id.
            post(|body: Bytes| async move {
                ([(CONTENT_TYPE, JSON)], if body.is_empty() { "{}" } else { "{\"id\":1}" })
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

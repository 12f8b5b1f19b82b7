//! A JSON array written as the client reads it: a long listing (a million subject names) is
//! serialized a chunk at a time, never whole.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use http_body::Frame;
use serde::Serialize;

use super::json_response;

/// About how many bytes each chunk holds.
const CHUNK: usize = 64 * 1024;

/// 200 with the items of `items` as one JSON array, streamed.
pub fn json_array<I>(items: I) -> Response
where
    I: Iterator + Send + Unpin + 'static,
    I::Item: Serialize,
{
    json_response(
        StatusCode::OK,
        Body::new(JsonArray {
            items,
            started: false,
            any: false,
            done: false,
        }),
    )
}

struct JsonArray<I> {
    items: I,
    started: bool,
    /// Whether an item was written (the next one needs a comma).
    any: bool,
    done: bool,
}

impl<I> http_body::Body for JsonArray<I>
where
    I: Iterator + Unpin,
    I::Item: Serialize,
{
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let mut out = Vec::with_capacity(CHUNK + 1024);
        if !self.started {
            self.started = true;
            out.push(b'[');
        }
        while out.len() < CHUNK {
            let Some(item) = self.items.next() else {
                self.done = true;
                out.push(b']');
                break;
            };
            if self.any {
                out.push(b',');
            }
            self.any = true;
            serde_json::to_writer(&mut out, &item).expect("items serialize");
        }
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))))
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> Vec<String> {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_long_array_comes_in_chunks_that_read_as_one_json_array() {
        let names: Vec<String> = (0..20_000).map(|n| format!("subject-\"{n}\"")).collect();
        let response = json_array(names.clone().into_iter());
        let mut body = response.into_body();
        let mut chunks = 0;
        let mut whole = Vec::new();
        while let Some(frame) = next_chunk(&mut body).await {
            chunks += 1;
            whole.extend_from_slice(&frame);
        }
        assert!(chunks > 3, "{chunks} chunks");
        assert_eq!(
            serde_json::from_slice::<Vec<String>>(&whole).unwrap(),
            names
        );
    }

    #[tokio::test]
    async fn empty_and_single_arrays() {
        assert!(body_of(json_array(std::iter::empty::<String>()))
            .await
            .is_empty());
        assert_eq!(
            body_of(json_array(["a".to_string()].into_iter())).await,
            ["a"]
        );
    }

    /// The next data frame of `body`.
    async fn next_chunk(body: &mut Body) -> Option<Bytes> {
        std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut *body), cx))
            .await
            .map(|frame| frame.unwrap().into_data().unwrap())
    }
}

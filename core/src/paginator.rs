//! Pagination for ListRooms and ListLoggingConfigurations, as in `aws-sdk-ivschat`:
//! `client.list_rooms().into_paginator().page_size(10).items().send()`.
//!
//! A stream ends when the returned `nextToken` is missing or empty, or repeats the token just
//! sent (a service bug would otherwise loop forever).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;

use crate::client::{Handle, ResponseMetadata};
use crate::error::Error;
use crate::operation::{ListLoggingConfigurationsInput, ListRoomsInput};
use crate::protocol::Operation;
use crate::types::{LoggingConfigurationSummary, RoomSummary};

/// An operation input that pages with `nextToken` / `maxResults`.
pub trait Paginated: Operation + Clone {
    /// One item of a page.
    type Item: Send + 'static;
    #[doc(hidden)]
    fn start_token(&self) -> Option<String>;
    #[doc(hidden)]
    fn set_paging(&mut self, token: Option<String>, page_size: Option<i32>);
    #[doc(hidden)]
    fn next_token(output: &Self::Output) -> Option<&str>;
    #[doc(hidden)]
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
}

impl Paginated for ListRoomsInput {
    type Item = RoomSummary;
    fn start_token(&self) -> Option<String> {
        self.next_token.clone()
    }
    fn set_paging(&mut self, token: Option<String>, page_size: Option<i32>) {
        self.next_token = token;
        if page_size.is_some() {
            self.max_results = page_size;
        }
    }
    fn next_token(output: &Self::Output) -> Option<&str> {
        output.next_token()
    }
    fn into_items(output: Self::Output) -> Vec<RoomSummary> {
        output.rooms.unwrap_or_default()
    }
}

impl Paginated for ListLoggingConfigurationsInput {
    type Item = LoggingConfigurationSummary;
    fn start_token(&self) -> Option<String> {
        self.next_token.clone()
    }
    fn set_paging(&mut self, token: Option<String>, page_size: Option<i32>) {
        self.next_token = token;
        if page_size.is_some() {
            self.max_results = page_size;
        }
    }
    fn next_token(output: &Self::Output) -> Option<&str> {
        output.next_token()
    }
    fn into_items(output: Self::Output) -> Vec<LoggingConfigurationSummary> {
        output.logging_configurations.unwrap_or_default()
    }
}

/// Pages of a list operation; `.items()` flattens them.
#[derive(Debug)]
pub struct Paginator<I> {
    handle: Handle,
    input: I,
    page_size: Option<i32>,
    stop_on_duplicate_token: bool,
}

impl<I: Paginated> Paginator<I> {
    pub(crate) fn new(handle: Handle, input: I) -> Self {
        Self {
            handle,
            input,
            page_size: None,
            stop_on_duplicate_token: true,
        }
    }

    /// Results per page (`maxResults`).
    pub fn page_size(mut self, size: i32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Whether to stop when the service returns the token it was just sent (on by default).
    pub fn stop_on_duplicate_token(mut self, on: bool) -> Self {
        self.stop_on_duplicate_token = on;
        self
    }

    /// A stream of pages; an error ends it.
    pub fn send(self) -> PaginationStream<Result<I::Output, Error>> {
        self.send_with_metadata().map(|(page, _)| page)
    }

    /// A stream of pages, each with its call's [`ResponseMetadata`]; an error ends it.
    pub fn send_with_metadata(
        self,
    ) -> PaginationStream<(Result<I::Output, Error>, ResponseMetadata)> {
        struct State<I> {
            paginator: Paginator<I>,
            token: Option<String>,
            done: bool,
        }
        let token = self.input.start_token();
        let state = State {
            paginator: self,
            token,
            done: false,
        };
        let stream = futures_util::stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            let mut input = state.paginator.input.clone();
            let sent = state.token.take();
            input.set_paging(sent.clone(), state.paginator.page_size);
            let (page, meta) = state.paginator.handle.send_with_metadata(input).await;
            match &page {
                Ok(page) => {
                    let next = I::next_token(page)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned);
                    let repeated =
                        state.paginator.stop_on_duplicate_token && next.is_some() && next == sent;
                    state.done = next.is_none() || repeated;
                    state.token = next;
                }
                Err(_) => state.done = true,
            }
            Some(((page, meta), state))
        });
        PaginationStream::new(stream)
    }

    /// Flattens the pages into their items.
    pub fn items(self) -> ItemPaginator<I> {
        ItemPaginator(self)
    }
}

/// Items of every page of a list operation.
#[derive(Debug)]
pub struct ItemPaginator<I>(Paginator<I>);

impl<I: Paginated> ItemPaginator<I> {
    /// A stream of items; a failed page yields its error and ends the stream.
    pub fn send(self) -> PaginationStream<Result<I::Item, Error>> {
        let pages = self.0.send();
        let stream = pages.flat_map(|page| {
            let items: Vec<Result<I::Item, Error>> = match page {
                Ok(page) => I::into_items(page).into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures_util::stream::iter(items)
        });
        PaginationStream::new(stream)
    }
}

/// A stream of pages or items; use `next().await`, `collect().await`, or it as a `Stream`.
pub struct PaginationStream<T> {
    inner: Pin<Box<dyn Stream<Item = T> + Send>>,
}

impl<T> std::fmt::Debug for PaginationStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PaginationStream")
    }
}

impl<T> PaginationStream<T> {
    fn new(stream: impl Stream<Item = T> + Send + 'static) -> Self {
        Self {
            inner: Box::pin(stream),
        }
    }

    /// The next page or item, `None` at the end.
    pub async fn next(&mut self) -> Option<T> {
        self.inner.next().await
    }

    /// Maps every element.
    pub fn map<U: 'static>(self, f: impl FnMut(T) -> U + Send + 'static) -> PaginationStream<U>
    where
        T: 'static,
    {
        PaginationStream::new(self.inner.map(f))
    }

    /// Everything that is left.
    pub async fn collect<C: Default + Extend<T>>(self) -> C {
        StreamExt::collect(self.inner).await
    }
}

impl<T> Stream for PaginationStream<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.inner.as_mut().poll_next(cx)
    }
}

//! Lists: one page at a time (`?limit=&cursor=`), or every page by following `next_cursor`.

use crate::transport::{Method, Transport};
use crate::{segment, Client, Error};
use edgeref_shared::api::Page;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// A list's query: page size, where to start, and the list's own filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// 1–250; the API's default (50) when `None`.
    pub limit: Option<u32>,
    /// A previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Transactions of one customer (`?customer=KEY`).
    pub customer: Option<String>,
    /// Events of one type (`?type=customer.created`).
    pub event_type: Option<String>,
    /// Rewards in one status (`pending`, `approved`, `rejected`, `reversed`, `paid`).
    pub status: Option<String>,
    /// Rewards with (`true`) or without (`false`) fraud flags.
    pub flagged: Option<bool>,
}

impl ListQuery {
    pub fn limit(limit: u32) -> Self {
        Self { limit: Some(limit), ..Self::default() }
    }

    pub(crate) fn path(&self, base: &str) -> String {
        let mut params = Vec::new();
        if let Some(limit) = self.limit {
            params.push(format!("limit={limit}"));
        }
        let flagged = self.flagged.map(|f| f.to_string());
        for (name, value) in [("cursor", &self.cursor), ("customer", &self.customer), ("type", &self.event_type), ("status", &self.status), ("flagged", &flagged)] {
            if let Some(v) = value {
                params.push(format!("{name}={}", segment(v)));
            }
        }
        if params.is_empty() { base.to_owned() } else { format!("{base}?{}", params.join("&")) }
    }
}

/// Walks a list page by page: `while let Some(page) = pages.next_page().await? { … }`.
pub struct Pages<'c, T, Item> {
    client: &'c Client<T>,
    base: String,
    query: ListQuery,
    done: bool,
    item: PhantomData<Item>,
}

impl<'c, T: Transport, Item: DeserializeOwned> Pages<'c, T, Item> {
    pub(crate) fn new(client: &'c Client<T>, base: String, query: ListQuery) -> Self {
        Self { client, base, query, done: false, item: PhantomData }
    }

    /// The next page's items, or `None` after the last page.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Item>>, Error> {
        if self.done {
            return Ok(None);
        }
        let page: Page<Item> = self.client.call(Method::Get, &self.query.path(&self.base), None::<&()>).await?;
        match page.next_cursor {
            // A cursor that does not move would loop forever: stop instead.
            Some(next) if self.query.cursor.as_deref() != Some(next.as_str()) => self.query.cursor = Some(next),
            _ => self.done = true,
        }
        Ok(Some(page.data))
    }

    /// Every remaining item, in order.
    pub async fn collect_all(mut self) -> Result<Vec<Item>, Error> {
        let mut all = Vec::new();
        while let Some(items) = self.next_page().await? {
            all.extend(items);
        }
        Ok(all)
    }
}

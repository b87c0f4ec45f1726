//! Pagination: one page, and the stream of a list's pages (bounded parallel fetches that still
//! yield in server order), with the completeness checks a live platform needs: the count stays
//! the same, records add up to it, no empty page links on, no page is visited twice.

use futures::stream::{self, BoxStream, StreamExt};
use url::Url;

use super::{Client, Page, PageDe, compact, decode, has_line_break};
use crate::error::ApiError;
use crate::query::Params;

/// Stops a stream after its first error.
pub(super) fn fuse_on_error<T: Send + 'static>(
    s: BoxStream<'static, Result<T, ApiError>>,
) -> BoxStream<'static, Result<T, ApiError>> {
    s.scan(false, |failed, item| {
        if *failed {
            return futures::future::ready(None);
        }
        *failed = item.is_err();
        futures::future::ready(Some(item))
    })
    .boxed()
}

/// A page without records may only end the walk (a `next` after it is a server skipping
/// ahead or looping), except a first page of an empty list.
fn check_page_shape(page: &Page, k: u64) -> Result<(), ApiError> {
    if page.results.is_empty() && page.next.is_some() {
        return Err(ApiError::Inconsistent {
            url: page.url.clone(),
            reason: format!(
                "page {k} holds no records but links to a next page (records would be skipped)"
            ),
        });
    }
    Ok(())
}

pub(super) fn with_page(url: &Url, page: u64) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut u = url.clone();
    {
        let mut q = u.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        q.append_pair("page", &page.to_string());
    }
    u
}

impl Client {
    /// Fetches one page.
    pub async fn get_page(&self, url: &Url) -> Result<Page, ApiError> {
        let text = self.get_text(url).await?;
        let p: PageDe = decode(url.as_str(), &text, "")?;
        // A page without any line break has only single-line records: skip the per-record check.
        let results = if has_line_break(&text) {
            p.results.into_iter().map(compact).collect()
        } else {
            p.results
        };
        Ok(Page {
            url: url.to_string(),
            count: p.count,
            next: p.next,
            previous: p.previous,
            results,
        })
    }

    /// All pages of a list endpoint, in server order. Follows `next`; when the first page gives
    /// `count`, the remaining pages are fetched up to `concurrency` at a time (still yielded in
    /// order) and cross-checked (same count, full pages, last page without `next`).
    ///
    /// A walk is complete or it fails: every page must repeat the first page's `count`, the
    /// records must add up to it, a page without records may not carry a `next`, a `next`
    /// already visited (a loop) fails, and so does a walk of more than
    /// [`ClientConfig::max_pages`] pages.
    pub fn pages(&self, path: &str, params: &Params) -> BoxStream<'static, Result<Page, ApiError>> {
        let this = self.clone();
        let first_url = self.url(path, params);
        let s = stream::once(async move {
            let first = match this.get_page(&first_url).await {
                Ok(p) => p,
                Err(e) => return stream::once(futures::future::ready(Err(e))).boxed(),
            };
            if let Err(e) = check_page_shape(&first, 1) {
                return stream::once(futures::future::ready(Err(e))).boxed();
            }
            let rest = this.rest_pages(&first);
            stream::once(futures::future::ready(Ok(first)))
                .chain(rest)
                .boxed()
        })
        .flatten()
        .boxed();
        fuse_on_error(s)
    }

    fn rest_pages(&self, first: &Page) -> BoxStream<'static, Result<Page, ApiError>> {
        let Some(next) = first.next.clone() else {
            let seen = first.results.len() as u64;
            return match first.count {
                Some(c) if c != seen => stream::once(futures::future::ready(Err(
                    ApiError::Inconsistent {
                        url: first.url.clone(),
                        reason: format!(
                            "the only page holds {seen} records but count says {c}: records are missing"
                        ),
                    },
                )))
                .boxed(),
                _ => stream::empty().boxed(),
            };
        };
        let next_url = match self.follow_link(&next) {
            Ok(u) => u,
            Err(e) => return stream::once(futures::future::ready(Err(e))).boxed(),
        };
        let conc = self.inner.cfg.concurrency.max(1);
        let max_pages = self.inner.cfg.max_pages.max(1);
        let size = first.results.len() as u64;
        if let (Some(count), true, true) = (first.count, conc > 1, size > 0) {
            let total = count.div_ceil(size);
            if total > max_pages {
                return stream::once(futures::future::ready(Err(ApiError::Inconsistent {
                    url: first.url.clone(),
                    reason: format!(
                        "{count} records in pages of {size} would take {total} pages, more than the {max_pages} allowed"
                    ),
                })))
                .boxed();
            }
            let this = self.clone();
            return stream::iter(2..=total)
                .map(move |k| {
                    let this = this.clone();
                    let url = with_page(&next_url, k);
                    async move {
                        let page = this.get_page(&url).await?;
                        let expect = if k < total {
                            size
                        } else {
                            count - (total - 1) * size
                        };
                        let bad = |reason: String| {
                            Err(ApiError::Inconsistent {
                                url: url.to_string(),
                                reason,
                            })
                        };
                        if page.count != Some(count) {
                            return bad(format!(
                                "count changed from {count} to {:?} during the pull",
                                page.count
                            ));
                        }
                        if page.results.len() as u64 != expect {
                            return bad(format!(
                                "page {k} has {} records, expected {expect}",
                                page.results.len()
                            ));
                        }
                        if k == total && page.next.is_some() {
                            return bad(format!("page {k} of {total} still has a next link"));
                        }
                        Ok(page)
                    }
                })
                .buffered(conc)
                .boxed();
        }
        // Strictly following `next`.
        struct Walk {
            next: Option<Url>,
            visited: std::collections::HashSet<String>,
            count: Option<u64>,
            seen: u64,
            pages: u64,
        }
        let mut visited = std::collections::HashSet::new();
        visited.insert(first.url.clone());
        let walk = Walk {
            next: Some(next_url),
            visited,
            count: first.count,
            seen: size,
            pages: 1,
        };
        let this = self.clone();
        stream::try_unfold(walk, move |mut w| {
            let this = this.clone();
            async move {
                let Some(url) = w.next.take() else {
                    return Ok(None);
                };
                let bad = |reason: String| ApiError::Inconsistent {
                    url: url.to_string(),
                    reason,
                };
                if !w.visited.insert(url.to_string()) {
                    return Err(bad(
                        "the next link leads to a page already fetched (a loop)".into(),
                    ));
                }
                w.pages += 1;
                if w.pages > max_pages {
                    return Err(bad(format!(
                        "more than {max_pages} pages; the server's next links never end"
                    )));
                }
                let page = this.get_page(&url).await?;
                check_page_shape(&page, w.pages)?;
                if page.count != w.count {
                    return Err(bad(format!(
                        "count changed from {:?} to {:?} during the pull",
                        w.count, page.count
                    )));
                }
                w.seen += page.results.len() as u64;
                w.next = match &page.next {
                    Some(l) => Some(this.follow_link(l)?),
                    None => None,
                };
                if let Some(c) = w.count {
                    if w.seen > c {
                        return Err(bad(format!(
                            "{} records after {} pages, more than the count of {c}",
                            w.seen, w.pages
                        )));
                    }
                    if w.next.is_none() && w.seen != c {
                        return Err(bad(format!(
                            "the last page leaves {} of the {c} records counted unseen",
                            c - w.seen
                        )));
                    }
                }
                Ok(Some((page, w)))
            }
        })
        .boxed()
    }
}

//! The sandbox server's HTTP behaviour, checked with a plain HTTP client.

mod common;

use serde_json::{Value, json};
use tieout_sandbox::server::{RunningServer, ServerConfig, serve};

use common::{KEY, N, write_fixture};

struct Http {
    c: reqwest::Client,
    base: String,
}

impl Http {
    fn new(server: &RunningServer) -> Self {
        common::install_crypto();
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            c,
            base: server.base_url(),
        }
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .c
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Api-Key {KEY}"))
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        let body = r.bytes().await.unwrap();
        (s, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
    async fn ids(&self, path: &str) -> Vec<i64> {
        let (s, v) = self.get(path).await;
        assert_eq!(s, 200, "{path}: {v}");
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    }
}

async fn start(dir: &std::path::Path) -> RunningServer {
    let mut cfg = ServerConfig::new(dir);
    cfg.max_page_size = 200;
    serve(cfg).await.unwrap()
}

#[tokio::test]
async fn pagination_links_and_invalid_pages() {
    let fx = write_fixture();
    let server = start(fx.dir.path()).await;
    let h = Http::new(&server);
    let b = &h.base;
    let (s, v) = h
        .get("/api/investments/?status__in=received,accepted&page_size=10")
        .await;
    assert_eq!(s, 200);
    let want = fx
        .investment_values
        .iter()
        .filter(|v| v["status"] == "received" || v["status"] == "accepted")
        .count();
    assert_eq!(v["count"], want);
    assert_eq!(
        v["next"],
        format!("{b}/api/investments/?page=2&page_size=10&status__in=received%2Caccepted")
    );
    assert_eq!(v["previous"], Value::Null);
    let (_, v) = h
        .get("/api/investments/?page=2&page_size=10&status__in=received%2Caccepted")
        .await;
    assert_eq!(
        v["previous"],
        format!("{b}/api/investments/?page_size=10&status__in=received%2Caccepted")
    );
    let (_, v) = h.get("/api/investments/?page=3&page_size=10").await;
    assert_eq!(
        v["previous"],
        format!("{b}/api/investments/?page=2&page_size=10")
    );
    // Default page size 100; last page has no next.
    let (_, v) = h.get("/api/investments/?page=3").await;
    assert_eq!(v["results"].as_array().unwrap().len(), N - 200);
    assert_eq!(v["next"], Value::Null);
    let (_, v) = h.get("/api/investments/?page=last&page_size=100").await;
    assert_eq!(v["results"].as_array().unwrap().len(), N - 200);
    // page_size clamped to the maximum (200 here).
    assert_eq!(h.ids("/api/investments/?page_size=5000").await.len(), 200);
    // Past the end / garbage page.
    for p in ["4", "0", "abc"] {
        let (s, v) = h.get(&format!("/api/investments/?page={p}")).await;
        assert_eq!(
            (s, v),
            (404, json!({"detail": "Invalid page."})),
            "page={p}"
        );
    }
    // Page 1 of an empty result is fine.
    let (s, v) = h.get("/api/investments/?amount__gt=99999999").await;
    assert_eq!(
        (s, v),
        (
            200,
            json!({"count": 0, "next": null, "previous": null, "results": []})
        )
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn filters_ordering_and_search() {
    let fx = write_fixture();
    let server = start(fx.dir.path()).await;
    let h = Http::new(&server);
    let vals = &fx.investment_values;
    let ids_where = |f: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        vals.iter()
            .filter(|v| f(v))
            .map(|v| v["id"].as_i64().unwrap())
            .collect()
    };
    let amount = |v: &Value| -> f64 {
        match &v["amount"] {
            Value::String(s) => s.parse().unwrap(),
            n => n.as_f64().unwrap(),
        }
    };
    assert_eq!(
        h.ids("/api/investments/?page_size=200&amount__gte=5000")
            .await,
        ids_where(&|v| amount(v) >= 5000.0)
            .into_iter()
            .take(200)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        h.ids("/api/investments/?page_size=200&offering=2&payment_method=wire")
            .await,
        ids_where(&|v| v["offering"] == 2 && v["payment_method"] == "wire")
    );
    assert_eq!(h.ids("/api/investments/?page_size=200&investor__type__in=trust,trust_ira&investor__entity__kyc_status=passed").await,
        ids_where(&|v| (v["investor"]["type"] == "trust" || v["investor"]["type"] == "trust_ira") && v["investor"]["entity"]["kyc_status"] == "passed"));
    assert_eq!(
        h.ids("/api/investments/?page_size=200&processed_at__isnull=true")
            .await,
        ids_where(&|v| v["processed_at"].is_null())
    );
    assert_eq!(
        h.ids("/api/investments/?page_size=200&investor__entity__isnull=false")
            .await
            .len(),
        200
    );
    assert_eq!(h.ids("/api/investments/?page_size=200&processed_at__date__gte=2026-10-30&processed_at__date__lte=2026-10-31").await,
        ids_where(&|v| v["processed_at"].as_str().is_some_and(|s| &s[..10] >= "2026-10-30" && &s[..10] <= "2026-10-31")));
    assert_eq!(
        h.ids("/api/investments/?page_size=200&id__in=13,16,999")
            .await,
        vec![13, 16]
    );
    assert_eq!(
        h.ids("/api/investments/?slug=acme-a&page_size=200").await,
        ids_where(&|v| v["offering"] == 3)
    );
    assert_eq!(
        h.ids("/api/investments/?investor__user__email=investor4@example.com")
            .await,
        ids_where(&|v| v["investor"]["id"] == 4)
    );
    // created_at comes from the sidecar (not served).
    let oct = h
        .ids("/api/investments/?page_size=200&created_at__date__gte=2026-10-01")
        .await;
    assert_eq!(
        oct,
        (1..=N)
            .filter(|i| i % 2 == 1)
            .map(|i| common::investment_id(i) as i64)
            .take(200)
            .collect::<Vec<_>>()
    );
    // Bad values: DRF-shaped 400.
    let (s, v) = h.get("/api/investments/?amount__gte=lots").await;
    assert_eq!((s, v), (400, json!({"amount__gte": ["Enter a number."]})));
    let (s, v) = h
        .get("/api/investments/?created_at__date__gte=10/01/2026")
        .await;
    assert_eq!(
        (s, v),
        (
            400,
            json!({"created_at__date__gte": ["Enter a valid date."]})
        )
    );
    // Ordering: descending amount, ties by id.
    let (_, v) = h
        .get("/api/investments/?ordering=-amount,id&page_size=200")
        .await;
    let got: Vec<f64> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(amount)
        .collect();
    assert!(got.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(h.ids("/api/offerings/?ordering=-id").await, vec![3, 2, 1]);
    assert_eq!(
        h.ids("/api/offerings/?type__in=reg_cf,reg_a").await,
        vec![1, 3]
    );
    assert_eq!(
        h.ids("/api/investors/?type=company&page_size=200").await,
        (1..=N as i64).filter(|i| i % 4 == 1).collect::<Vec<i64>>()
    );
    assert_eq!(
        h.ids("/api/users/?email=investor9@example.com").await,
        vec![1009]
    );
    // Search: case-insensitive, every term must match.
    assert_eq!(h.ids("/api/investments/?search=ref-000013").await, vec![13]);
    assert_eq!(
        h.ids("/api/investors/?search=INVESTOR25%40").await,
        vec![25]
    );
    assert_eq!(h.ids("/api/offerings/?search=acme%20506c").await, vec![2]);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn auth_slashes_details_and_user_validation() {
    let fx = write_fixture();
    let server = start(fx.dir.path()).await;
    let h = Http::new(&server);
    let url = |p: &str| format!("{}{p}", h.base);
    let r = h.c.get(url("/api/offerings/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "Authentication credentials were not provided."})
    );
    let r =
        h.c.get(url("/api/offerings/"))
            .header("Authorization", "Api-Key nope")
            .send()
            .await
            .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "Invalid API Key."})
    );
    // APPEND_SLASH.
    let r =
        h.c.get(url("/api/investments?page=2&page_size=5"))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status().as_u16(), 301);
    assert_eq!(
        r.headers()["location"],
        "/api/investments/?page=2&page_size=5"
    );
    let r =
        h.c.post(url("/api/users"))
            .header("Authorization", format!("Api-Key {KEY}"))
            .json(&json!({"email": "a@b.co", "password": "x"}))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Details.
    let (s, v) = h.get("/api/investors/77/").await;
    assert_eq!((s, v["id"].clone()), (200, json!(77)));
    let (s, v) = h.get("/api/investors/77777/").await;
    assert_eq!((s, v), (404, json!({"detail": "Not found."})));
    let (s, _) = h.get("/api/nothing/").await;
    assert_eq!(s, 404);
    // Users: validation errors.
    let post = |body: Value| {
        let c = h.c.clone();
        let u = url("/api/users/");
        async move {
            let r = c
                .post(u)
                .header("Authorization", format!("Api-Key {KEY}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(
        post(json!({"email": "bad@", "password": "x"})).await,
        (400, json!({"email": ["Enter a valid email address."]}))
    );
    assert_eq!(
        post(json!({"password": "x"})).await,
        (400, json!({"email": ["This field is required."]}))
    );
    assert_eq!(
        post(json!({"email": "ok@example.com"})).await,
        (400, json!({"password": ["This field is required."]}))
    );
    assert_eq!(
        post(json!({"email": "investor1@example.com", "password": "x"})).await,
        (
            400,
            json!({"email": ["user with this email already exists."]})
        )
    );
    assert_eq!(
        post(json!({"email": "ok@example.com", "password": "x"})).await,
        (201, json!({"id": 1000 + N + 1, "email": "ok@example.com"}))
    );
    let (s, v) = h.get("/api/users/?page_size=1&page=last").await;
    assert_eq!(
        (s, v["count"].clone(), v["results"][0]["email"].clone()),
        (200, json!(N + 1), json!("ok@example.com"))
    );
    server.shutdown().await.unwrap();
}

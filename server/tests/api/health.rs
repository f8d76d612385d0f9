use crate::helpers::*;

#[tokio::test]
async fn healthz_reports_database_reachability_and_latency() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let res = app.get("/healthz").await;
        assert_eq!(res.status(), 200);
        assert!(res.headers().get("x-request-id").is_some(), "every response carries its request id");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"]["reachable"], true);
        assert!(body["database"]["latency_ms"].as_f64().unwrap() >= 0.0);
    }
}

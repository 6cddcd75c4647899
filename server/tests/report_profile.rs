//! By hand, to see where a report's time goes: `DEALGATE_REPORT_SEED=<file
//! of SQL from target/release/seed> DEALGATE_SQL_TIMES=1 cargo test -p
//! dealgate-server --release --test report_profile -- --ignored --nocapture`
//! loads the seed into the host SQLite and prints each statement's time.
//! Ignored in `make test`: `make bench` measures the runtime itself.

mod support;

use support::*;

#[test]
#[ignore = "a profiling aid, run by hand"]
fn profile_the_pipeline_report_and_the_csv_on_a_seeded_database() {
    let Ok(seed) = std::env::var("DEALGATE_REPORT_SEED") else {
        eprintln!("DEALGATE_REPORT_SEED is not set: nothing to profile");
        return;
    };
    let app = TestApp::new();
    app.rt
        .db
        .execute_file(&std::fs::read_to_string(seed).expect("the seed file"));
    let manager = deals::session(&app, MANAGER);
    for round in 0..3 {
        let start = std::time::Instant::now();
        let r = manager.get("/api/reports/pipeline?pipeline=tender");
        assert_eq!(r.status(), 200, "{}", r.text());
        eprintln!(
            "report round {round}: {:.1} ms",
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
    let start = std::time::Instant::now();
    let csv = manager.get("/api/reports/opportunities.csv");
    assert_eq!(csv.status(), 200);
    eprintln!(
        "csv: {:.1} ms, {} bytes",
        start.elapsed().as_secs_f64() * 1000.0,
        csv.text().len()
    );
}

//! By hand, to see where a report's time goes: `DEALGATE_REPORT_SEED=<file
//! of SQL from target/release/seed> DEALGATE_SQL_TIMES=1 cargo test -p
//! dealgate-server --release --test report_profile -- --ignored --nocapture`
//! loads the seed into the host SQLite and prints each statement's time.
//! `DEALGATE_REPORT_DB=<SQLite file>` instead profiles a copy of a database
//! seeded beforehand (100,000 deals load in seconds with the `sqlite3` CLI).
//! Ignored in `make test`: `make bench` measures the runtime itself.

mod support;

use support::*;

#[test]
#[ignore = "a profiling aid, run by hand"]
fn profile_the_pipeline_report_and_the_csv_on_a_seeded_database() {
    let app = TestApp::new();
    if let Ok(file) = std::env::var("DEALGATE_REPORT_DB") {
        let copy = std::env::temp_dir().join("dealgate-report-profile.sqlite");
        std::fs::copy(file, &copy).expect("a copy of the database");
        app.rt.db.open_file(&copy);
    } else if let Ok(seed) = std::env::var("DEALGATE_REPORT_SEED") {
        app.rt
            .db
            .execute_file(&std::fs::read_to_string(seed).expect("the seed file"));
    } else {
        eprintln!("neither DEALGATE_REPORT_DB nor DEALGATE_REPORT_SEED is set: nothing to profile");
        return;
    }
    let manager = deals::session(&app, MANAGER);
    let rep = deals::session(&app, REP);
    for round in 0..3 {
        for (who, client) in [("manager", &manager), ("rep", &rep)] {
            let start = std::time::Instant::now();
            let r = client.get("/api/reports/pipeline?pipeline=tender");
            assert_eq!(r.status(), 200, "{}", r.text());
            eprintln!(
                "{who}'s report, round {round}: {:.1} ms",
                start.elapsed().as_secs_f64() * 1000.0
            );
        }
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

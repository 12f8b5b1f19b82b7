//! A fresh PostgreSQL database per test, dropped afterwards. `DATABASE_URL` names the server
//! (any database on it); without it, or when no server answers, `TestDb::create` prints one line
//! and returns `None` — unless `SCHEMATA_REQUIRE_POSTGRES=1` (as on CI), which makes it fail.

use sqlx::Connection;

pub struct TestDb {
    /// URL of the new database.
    pub url: String,
    admin: String,
    name: String,
}

fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = match base.find("://").map(|i| i + 3) {
        Some(start) => match base[start..].find('/') {
            Some(slash) => &base[..start + slash],
            None => base,
        },
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{db}?{q}"),
        None => format!("{prefix}/{db}"),
    }
}

fn required() -> bool {
    std::env::var("SCHEMATA_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

impl TestDb {
    pub async fn create() -> Option<TestDb> {
        let Ok(admin) = std::env::var("DATABASE_URL") else {
            assert!(
                !required(),
                "SCHEMATA_REQUIRE_POSTGRES=1 but DATABASE_URL is not set"
            );
            eprintln!("skipped: DATABASE_URL is not set (PostgreSQL tests)");
            return None;
        };
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    !required(),
                    "SCHEMATA_REQUIRE_POSTGRES=1 but PostgreSQL does not answer: {e}"
                );
                eprintln!("skipped: PostgreSQL at DATABASE_URL does not answer: {e}");
                return None;
            }
        };
        let name = format!(
            "schemata_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        // The name is ours: digits and underscores only.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        Some(TestDb {
            url: with_database(&admin, &name),
            admin,
            name,
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs outside any runtime we may block; a thread with its own does the work.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let mut conn = sqlx::PgConnection::connect(&admin).await?;
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await
                    .map(|_| ())
                })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

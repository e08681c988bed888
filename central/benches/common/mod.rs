//! What the centre's benchmarks share: a fresh database of their own beside the one
//! `DATABASE_URL` names, migrated and partitioned.

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

/// Drops and makes the database `name` on the server `DATABASE_URL` points at; a pool of
/// `connections` to it.
pub async fn fresh_database(name: &str, connections: u32) -> PgPool {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (make bench-central sets it)");
    let admin = PgPoolOptions::new().max_connections(1).connect(&url).await.expect("connect");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await.expect("drop");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("create");
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&url);
    let pool = placecode_central::db::connect(&format!("{base}/{name}"), connections).await.expect("bench db");
    placecode_central::db::maintain_partitions(&pool, 28, 365).await.expect("partitions");
    pool
}

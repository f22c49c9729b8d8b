//! `stingd db migrate|status`, on the database named by `STING_DATABASE_URL`.

use stingd::db;

pub enum Action {
    Migrate,
    Status,
}

pub async fn run(action: Action) -> anyhow::Result<()> {
    let Ok(url) = std::env::var(db::DATABASE_URL_VAR) else {
        anyhow::bail!(
            "{} is not set: give the database URL in it (it holds a password, so never as a flag)",
            db::DATABASE_URL_VAR
        );
    };
    let pool = db::connect(&url, 2, std::time::Duration::from_secs(10)).await?;
    let status = match action {
        Action::Migrate => db::migrate(&pool).await?,
        Action::Status => db::status(&pool).await?,
    };
    println!("{}", serde_json::to_string(&status).expect("status serialises"));
    Ok(())
}

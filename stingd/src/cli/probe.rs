//! Asking a running stingd: its status report over the local socket (`stingd status`, what
//! `msting health` runs in the container) and its readiness (`stingd healthcheck`, Docker's).

use super::Unhealthy;

pub async fn status(socket: &std::path::Path) -> anyhow::Result<()> {
    print!("{}", stingd::beeacon::read_socket(socket).await?);
    Ok(())
}

/// One readiness request: no shell or curl in the image.
pub async fn healthcheck(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(std::time::Duration::from_secs(4))
        .build()
        .map_err(|e| Unhealthy(e.to_string()))?;
    match client.get(format!("{}/health/ready", url.trim_end_matches('/'))).send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => {
            let status = response.status();
            Err(Unhealthy(format!("{status} {}", response.text().await.unwrap_or_default())).into())
        }
        Err(e) => Err(Unhealthy(e.to_string()).into()),
    }
}

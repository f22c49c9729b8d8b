//! The stack's `/etc/cron.d` file: health every five minutes (its status file for monitoring,
//! problems to syslog), the certificate renewal daily, and a nightly encrypted backup with
//! pruning when backups have recipients. The file is a pure function of the stack, so
//! installing it again writes the same bytes; the daily jobs' minutes come from the project
//! name, so several stacks (or hosts) do not all renew and back up at the same moment.

use std::path::{Path, PathBuf};

use sting_config::Config;

/// Where cron reads system jobs.
pub const DEFAULT_DIR: &str = "/etc/cron.d";

/// What the jobs run.
pub struct Plan {
    /// The msting binary, absolute.
    pub msting: PathBuf,
    pub install_dir: PathBuf,
    /// A config file given explicitly (`--config`), which the jobs must be given too.
    pub config_file: Option<PathBuf>,
}

/// The cron file's name in `dir`: cron.d ignores names with dots, so the project (letters,
/// digits, `-` and `_`) is used as it is.
pub fn file(dir: &Path, config: &Config) -> PathBuf {
    dir.join(format!("sting-ce-{}", config.system.project_name.replace('.', "_")))
}

/// A stable minute (and hour offset) for `project`: FNV-1a, so it never changes across
/// releases the way the standard library's hasher may.
fn spread(project: &str) -> u32 {
    project.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

fn quote(path: &Path) -> String {
    let text = path.display().to_string();
    if text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c)) {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The file's text.
pub fn render(config: &Config, plan: &Plan) -> String {
    let mut msting = format!("{} --install-dir {}", quote(&plan.msting), quote(&plan.install_dir));
    if let Some(file) = &plan.config_file {
        msting.push_str(&format!(" --config {}", quote(file)));
    }
    let project = &config.system.project_name;
    let hash = spread(project);
    let minute = hash % 60;
    let status = crate::health::status_file::path(&plan.install_dir);
    let mut out = format!(
        "# The STING-CE stack `{project}` in {install}: written by `msting cron install`, removed by\n\
         # `msting cron remove`; edits here are overwritten. Output goes to syslog (journalctl -t TAG).\n\
         SHELL=/bin/sh\n\
         PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n\
         \n\
         # Health every five minutes: the result for `msting health --from-status` in\n\
         # {status}, and what is not OK to syslog.\n\
         */5 * * * * root {msting} --quiet health 2>&1 | logger -t msting-health -p daemon.warning\n\
         \n\
         # The certificate, renewed when a third of its life is left (silent when nothing is due).\n\
         {minute} {renew_hour} * * * root {msting} --quiet setup-ssl --renew 2>&1 | logger -t msting-certs -p daemon.warning\n",
        install = plan.install_dir.display(),
        status = status.display(),
        renew_hour = 3 + (hash / 60) % 3,
    );
    if config.backup.encrypt && !config.backup.recipients.is_empty() {
        out.push_str(&format!(
            "\n# Nightly encrypted backup to backup.recipients, then pruned by backup.retention.\n\
             {minute} {backup_hour} * * * root ({msting} --quiet backup --encrypt && {msting} --quiet backup prune) 2>&1 | logger -t msting-backup -p daemon.warning\n",
            backup_hour = 1 + (hash / 180) % 2,
        ));
    } else {
        out.push_str(
            "\n# No nightly backup: set backup.recipients (age public keys) and run `msting cron install` again.\n",
        );
    }
    out
}

/// What `install` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Installed {
    Written,
    Unchanged,
}

/// Writes the file (0644, root's: cron ignores files others may write) unless it already says
/// exactly this.
pub fn install(path: &Path, text: &str) -> anyhow::Result<Installed> {
    if std::fs::read_to_string(path).is_ok_and(|current| current == text) {
        return Ok(Installed::Unchanged);
    }
    if let Some(dir) = path.parent() {
        anyhow::ensure!(
            dir.is_dir(),
            "{} does not exist: is cron installed? (`apt-get install cron`, or your system's cron package)",
            dir.display()
        );
    }
    crate::fsio::atomic_write(path, text.as_bytes(), Some(0o644))?;
    Ok(Installed::Written)
}

/// Removes the file; `false` when there was none.
pub fn remove(path: &Path) -> anyhow::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(anyhow::anyhow!("cannot remove {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan { msting: "/usr/local/bin/msting".into(), install_dir: "/opt/sting-ce".into(), config_file: None }
    }

    #[test]
    fn health_runs_every_five_minutes_and_the_backup_only_with_recipients() {
        let mut config = Config::default();
        let text = render(&config, &plan());
        let jobs: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && l.contains(" root ")).collect();
        assert_eq!(jobs.len(), 2, "{text}");
        assert!(
            jobs[0].starts_with("*/5 * * * * root /usr/local/bin/msting --install-dir /opt/sting-ce --quiet health")
        );
        assert!(jobs[1].contains("setup-ssl --renew"));
        assert!(text.contains("set backup.recipients"), "{text}");

        config.backup.recipients = vec!["age1example".into()];
        let text = render(&config, &plan());
        let backup = text.lines().find(|l| l.contains("backup --encrypt")).unwrap();
        assert!(
            backup.contains("&& /usr/local/bin/msting --install-dir /opt/sting-ce --quiet backup prune"),
            "{backup}"
        );
        let fields: Vec<&str> = backup.split_whitespace().collect();
        let (minute, hour): (u32, u32) = (fields[0].parse().unwrap(), fields[1].parse().unwrap());
        assert!(minute < 60 && (1..=2).contains(&hour), "{backup}");
    }

    #[test]
    fn paths_with_spaces_are_quoted_and_a_given_config_is_passed_on() {
        let config = Config::default();
        let plan = Plan {
            msting: "/opt/my tools/msting".into(),
            install_dir: "/srv/sting".into(),
            config_file: Some("/etc/sting/config.yml".into()),
        };
        let text = render(&config, &plan);
        assert!(
            text.contains(
                "root '/opt/my tools/msting' --install-dir /srv/sting --config /etc/sting/config.yml --quiet health"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_same_stack_gives_the_same_file_and_another_project_other_minutes() {
        let mut config = Config::default();
        assert_eq!(render(&config, &plan()), render(&config, &plan()));
        let first = render(&config, &plan());
        config.system.project_name = "another".into();
        assert_ne!(render(&config, &plan()), first);
    }

    #[test]
    fn installing_twice_writes_once_and_remove_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path(), &Config::default());
        assert_eq!(path.file_name().unwrap(), "sting-ce-sting-ce");
        let text = render(&Config::default(), &plan());
        assert_eq!(install(&path, &text).unwrap(), Installed::Written);
        let written = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert_eq!(install(&path, &text).unwrap(), Installed::Unchanged);
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), written);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        assert!(remove(&path).unwrap());
        assert!(!remove(&path).unwrap());
        let missing = install(&dir.path().join("no-cron/file"), &text).unwrap_err().to_string();
        assert!(missing.contains("is cron installed?"), "{missing}");
    }
}

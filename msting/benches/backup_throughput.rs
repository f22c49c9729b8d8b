//! Backup throughput (docs/PERFORMANCE.md): age encryption alone, then the whole archive
//! writer (tar, zstd, age), over the same in-memory data written to a sink, so that neither
//! disk nor PostgreSQL is measured. Run on one core:
//! `taskset -c 1 cargo bench -p msting --bench backup_throughput`.

use std::io::Write;
use std::time::Instant;

use msting::backup::archive::{ArchiveWriter, Protection};
use msting::backup::manifest::{FORMAT, Manifest, Unseal};

const MIB: usize = 1 << 20;

/// Table-like rows (what a dump holds): compressible, not trivially so.
fn data(bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut row = 0u64;
    while out.len() < bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        row += 1;
        writeln!(out, "{row}\tuser{}@example.org\t{:016x}\tsome document text {}", state % 5000, state, state % 97)
            .unwrap();
    }
    out.truncate(bytes);
    out
}

fn rate(bytes: usize, seconds: f64) -> String {
    format!("{:.0} MB/s", bytes as f64 / seconds / 1e6)
}

fn main() {
    let size = std::env::var("BENCH_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(512) * MIB;
    let input = data(size);
    let recipient = age::x25519::Identity::generate().to_public();

    let mut best = f64::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient)).unwrap();
        let mut writer = encryptor.wrap_output(std::io::sink()).unwrap();
        for chunk in input.chunks(MIB) {
            writer.write_all(chunk).unwrap();
        }
        writer.finish().unwrap();
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("age encryption alone: {} MiB in {best:.3} s = {}", size / MIB, rate(size, best));

    let mut best = f64::MAX;
    let mut stored = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let mut counted = Counting(0);
        let protection = Protection::Recipients(vec![Box::new(recipient.clone())]);
        let mut archive = ArchiveWriter::new(&mut counted, &protection).unwrap();
        archive.add("db/sting.dump", 0o600, size as u64, input.as_slice()).unwrap();
        let manifest = Manifest {
            format: FORMAT,
            sting_version: "bench".into(),
            created: String::new(),
            host: String::new(),
            project: String::new(),
            encrypted: true,
            unseal: Unseal::KeyLeftOut,
            entries: Vec::new(),
        };
        archive.finish(manifest).unwrap();
        best = best.min(started.elapsed().as_secs_f64());
        stored = counted.0;
    }
    println!(
        "archive (tar + zstd 3 + age): {} MiB in {best:.3} s = {}, stored {:.1} MiB",
        size / MIB,
        rate(size, best),
        stored as f64 / MIB as f64
    );
}

struct Counting(usize);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

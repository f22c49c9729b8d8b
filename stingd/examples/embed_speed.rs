//! How fast the in-process embedding model embeds passages of about 150 words, by batch size.
//!
//!   cargo run --release -p stingd --example embed_speed -- $STING_TEST_EMBEDDING_MODEL [PASSAGES]

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("give the model folder");
    let count: usize = args.next().map_or(64, |n| n.parse().expect("a number of passages"));
    let embedder = stingd::honey_jars::embed::Embedder::load(std::path::Path::new(&dir)).expect("the model loads");
    let words = ["hive", "queen", "nectar", "frame", "winter", "colony", "pollen", "honey", "varroa", "swarm"];
    let passages: Vec<String> = (0..count)
        .map(|i| (0..150).map(|w| words[(i * 7 + w * 3) % words.len()]).collect::<Vec<_>>().join(" "))
        .collect();
    for batch in [1, 8, 16, 32] {
        let started = std::time::Instant::now();
        for group in passages.chunks(batch) {
            embedder.embed(&group.iter().map(String::as_str).collect::<Vec<_>>()).expect("embeds");
        }
        let took = started.elapsed().as_secs_f64();
        println!("batch {batch:>2}: {count} passages in {took:.2} s = {:.1} passages/s", count as f64 / took);
    }
}

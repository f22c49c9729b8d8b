//! The official OpenAI Python client against stingd: what users' programs will do.

use crate::common::{API_KEY, Stingd, model};
use sting_e2e::Component;
use sting_e2e::env::require_path;

const SCRIPT: &str = r#"
import openai, sys
client = openai.OpenAI()

ids = [m.id for m in client.models.list()]
assert ids == ["bee"], ids

reply = client.chat.completions.create(model="bee", messages=[{"role": "user", "content": "Hi"}], max_tokens=5, temperature=0)
assert reply.choices[0].message.role == "assistant", reply
assert reply.usage.completion_tokens <= 5, reply.usage

chunks = list(client.chat.completions.create(
    model="bee", messages=[{"role": "user", "content": "Hi"}], max_tokens=4, stream=True,
    stream_options={"include_usage": True}, extra_body={"ignore_eos": True}))
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
assert chunks[-1].usage.completion_tokens == 4, chunks[-1]

done = client.completions.create(model="bee", prompt="Bees", max_tokens=3)
assert done.choices[0].text is not None

try:
    client.chat.completions.create(model="wasp", messages=[{"role": "user", "content": "Hi"}])
    sys.exit("an unknown model must raise NotFoundError")
except openai.NotFoundError as e:
    assert e.body["code"] == "model_not_found", e.body

try:
    openai.OpenAI(api_key="wrong").models.list()
    sys.exit("a wrong key must raise AuthenticationError")
except openai.AuthenticationError as e:
    assert e.body["code"] == "invalid_api_key", e.body

print("ok")
"#;

#[tokio::test]
async fn the_official_openai_client_works_against_the_gateway() {
    let python = require_path(Component::Python);
    let stingd = Stingd::start(&[model("bee", "")], "").await;
    let out = tokio::process::Command::new(python)
        .args(["-c", SCRIPT])
        .env("OPENAI_BASE_URL", format!("{}/v1", stingd.base))
        .env("OPENAI_API_KEY", API_KEY)
        .env("OPENAI_MAX_RETRIES", "0")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "the client failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

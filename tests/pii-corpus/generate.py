"""The labelled PII corpus: sentences from templates.txt filled with Faker's values (and
look-alikes that fail the checks), with the spans of every personal item.

    python generate.py --seed 2026 --count 2000 > corpus.jsonl

Each line: {"text": ..., "spans": [{"start": byte offset, "end": ..., "kind": ...}]}.
Offsets are UTF-8 byte offsets, as stingd reports them. Tune on one seed, score on another.
"""

import argparse
import hashlib
import json
import random
import string
from pathlib import Path

from faker import Faker

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def luhn_digit(digits: str) -> str:
    total = 0
    for i, d in enumerate(reversed(digits)):
        v = int(d)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return str((10 - total % 10) % 10)


def npi(rng):
    base = str(rng.choice([1, 2])) + "".join(rng.choice(string.digits) for _ in range(8))
    return base + luhn_digit("80840" + base)


def dea(rng):
    letters = rng.choice("ABFGM") + rng.choice(string.ascii_uppercase)
    d = [rng.randrange(10) for _ in range(6)]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return letters + "".join(map(str, d)) + str(check)


def base58check(payload: bytes) -> str:
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(payload + checksum, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(payload + checksum) - len((payload + checksum).lstrip(b"\0"))) + out


def btc(rng):
    return base58check(bytes([0]) + bytes(rng.randrange(256) for _ in range(20)))


def eth(rng):
    return "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40))


def not_luhn(rng, length=16):
    digits = "4" + "".join(rng.choice(string.digits) for _ in range(length - 2))
    good = luhn_digit(digits)
    return digits + str((int(good) + rng.randrange(1, 10)) % 10)


def bad_iban(fake):
    iban = fake.iban()
    last = iban[-1]
    swapped = str((int(last) + 1) % 10) if last.isdigit() else ("A" if last != "A" else "B")
    return iban[:-1] + swapped


def fill(fake, us, rng, slot):
    """A value for `slot`, and its kind (None for look-alikes)."""
    values = {
        "person": lambda: (fake.name(), "person"),
        "email": lambda: (fake.email(), "email"),
        "phone": lambda: (rng.choice([fake.phone_number(), "+44 20 7946 " + str(rng.randrange(1000, 9999)),
                                      f"({rng.randrange(200, 999)}) {rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}"]), "phone"),
        "card": lambda: (fake.credit_card_number(card_type=rng.choice(["visa16", "mastercard", "amex", "discover"])), "credit-card"),
        "iban": lambda: (fake.iban(), "iban"),
        # US numbers: en_GB's `ssn` is a National Insurance number, another kind.
        "ssn": lambda: (us.ssn(), "ssn"),
        "ipv4": lambda: (fake.ipv4(), "ip-address"),
        "ipv6": lambda: (fake.ipv6(), "ip-address"),
        "mac": lambda: (fake.mac_address().upper() if rng.random() < 0.5 else fake.mac_address(), "mac-address"),
        "dob": lambda: (fake.date_of_birth().strftime(rng.choice(["%d/%m/%Y", "%Y-%m-%d", "%B %d, %Y"])), "date-of-birth"),
        "street": lambda: (f"{rng.randrange(1, 9999)} {fake.last_name()} {rng.choice(['Street', 'Avenue', 'Road', 'Lane', 'Drive'])}", "address"),
        "btc": lambda: (btc(rng), "crypto-wallet"),
        "eth": lambda: (eth(rng), "crypto-wallet"),
        "aws_key": lambda: ("AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)), "api-key"),
        "github_token": lambda: ("ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36)), "api-key"),
        "npi": lambda: (npi(rng), "npi"),
        "dea": lambda: (dea(rng), "dea"),
        "order_fake": lambda: (not_luhn(rng), None),
        "tracking_fake": lambda: ("1Z" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)), None),
        "version_fake": lambda: (f"{rng.randrange(1, 20)}.{rng.randrange(0, 30)}.{rng.randrange(0, 99)}", None),
        "date_fake": lambda: (fake.date_this_decade().strftime("%d/%m/%Y"), None),
        "iban_fake": lambda: (bad_iban(fake), None),
        "ssn_fake": lambda: (f"{rng.choice(['000', '666', '912'])}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}", None),
        "number_fake": lambda: (str(rng.randrange(10, 100000)), None),
        "count_fake": lambda: (str(rng.choice([2, 4, 8, 16])), None),
    }
    return values[slot]()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    fake = Faker(["en_US", "en_GB"])
    fake.seed_instance(args.seed)
    us = Faker("en_US")
    us.seed_instance(args.seed + 1)
    templates = [t for t in (Path(__file__).parent / "templates.txt").read_text().splitlines() if t and not t.startswith("#")]
    for _ in range(args.count):
        template = rng.choice(templates)
        text, spans = b"", []
        rest = template
        while "{" in rest:
            before, _, after = rest.partition("{")
            slot, _, rest = after.partition("}")
            text += before.encode()
            value, kind = fill(fake, us, rng, slot)
            start = len(text)
            text += value.encode()
            if kind:
                spans.append({"start": start, "end": len(text), "kind": kind})
        text += rest.encode()
        print(json.dumps({"text": text.decode(), "spans": spans}, ensure_ascii=False))


if __name__ == "__main__":
    main()

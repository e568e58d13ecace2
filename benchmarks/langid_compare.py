"""Language identification on short news texts: the old stopword guesser against two libraries.

Samples: the first 1, 2 and 3 lines of the 100 French Wikinews articles, the first 1, 2 and 3
lines of the 40 dev documents (en/de), and short texts written for this benchmark in nine more
languages (below, our own words). Each detector runs in its own process, so the memory figure
(peak RSS after loading and classifying everything, minus the interpreter's own) is its alone.

    python benchmarks/langid_compare.py --json benchmarks/langid_compare.json

The JSON holds sample ids, expected and predicted labels, counts and timings: no article text.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent.parent / "shared"
DETECTORS = ("stopwords", "py3langid", "lingua", "lingua-low")

# Written for this benchmark: two short news-like texts per language.
OWN = {
    "uk": [
        "Міністр оборони заявив у вівторок, що нові поставки озброєння надійдуть до кінця місяця.",
        "Мер міста повідомив журналістам, що ремонт мосту завершать восени, якщо дозволить погода.",
    ],
    "ru": [
        "Министр финансов сообщил во вторник, что бюджет на следующий год будет принят в срок.",
        "Представитель полиции рассказал, что задержанный мужчина дал показания уже вечером.",
    ],
    "pl": [
        "Minister zdrowia powiedział w środę, że nowe przepisy wejdą w życie od przyszłego roku.",
        "Burmistrz poinformował dziennikarzy, że remont dworca potrwa jeszcze co najmniej dwa lata.",
    ],
    "ro": [
        "Ministrul a declarat marți că noile măsuri vor intra în vigoare de luna viitoare.",
        "Primarul orașului a spus jurnaliștilor că lucrările la pod vor fi gata până în toamnă.",
    ],
    "sv": [
        "Ministern sade på tisdagen att de nya reglerna börjar gälla redan nästa månad.",
        "Polisen uppger att två personer har gripits efter branden i centrala Göteborg i natt.",
    ],
    "tr": [
        "Bakan salı günü yaptığı açıklamada yeni düzenlemenin gelecek ay yürürlüğe gireceğini söyledi.",
        "Belediye başkanı köprüdeki onarım çalışmalarının sonbaharda tamamlanacağını açıkladı.",
    ],
    "ko": [
        "장관은 화요일 기자회견에서 새로운 규정이 다음 달부터 시행된다고 밝혔다.",
        "경찰은 어젯밤 시내에서 발생한 화재와 관련해 두 명을 체포했다고 말했다.",
    ],
    "es": [
        "El ministro dijo el martes que las nuevas normas entrarán en vigor el próximo mes.",
        "La alcaldesa explicó a los periodistas que las obras del puente terminarán en otoño.",
    ],
    "it": [
        "Il ministro ha detto martedì che le nuove regole entreranno in vigore il mese prossimo.",
        "Il sindaco ha spiegato ai giornalisti che i lavori sul ponte finiranno in autunno.",
    ],
}


# --- the old stopword guesser (verbatim from before issue 17) ---
_WORDS = {
    "fr": "le la les des du un une et est que qui dans pour pas sur au aux avec ce il elle "
    "a été ont selon",
    "en": "the of and to in is that for on with as was were by it said from have has are this",
    "de": "der die das und ist nicht mit den dem von zu ein eine sich auf des für im auch wurde",
    "es": "el la los las de y que en un una por con para se del al es fue según",
    "it": "il lo la gli le di e che in un una per con non del della è sono stato",
    "pt": "o a os as de e que em um uma para com não do da é foi segundo",
    "nl": "de het een en van in is dat op te met voor niet zijn werd",
}
_SETS = {lang: frozenset(words.split()) for lang, words in _WORDS.items()}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
_SCRIPTS = (
    ("ru", re.compile(r"[\u0400-\u04FF]")),
    ("ar", re.compile(r"[\u0600-\u06FF]")),
    ("el", re.compile(r"[\u0370-\u03FF]")),
    ("he", re.compile(r"[\u0590-\u05FF]")),
    ("zh", re.compile(r"[\u4E00-\u9FFF]")),
    ("ja", re.compile(r"[\u3040-\u30FF]")),
)


def _stopword_guess(text: str, default: str) -> str:
    """The guesser summarizer/_language.py had before issue 17, kept here for the comparison."""
    sample = text[:20_000]
    letters = sum(ch.isalpha() for ch in sample) or 1
    for lang, pattern in _SCRIPTS:
        if len(pattern.findall(sample)) / letters > 0.3:
            return lang
    tokens = [t.casefold() for t in _TOKEN.findall(sample)]
    scores = {lang: sum(t in words for t in tokens) for lang, words in _SETS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 3 else default


def samples() -> list[dict[str, str]]:
    """(id, expected language, text) for every sample; texts never leave this process tree."""
    out: list[dict[str, str]] = []

    def heads(sample_id: str, lang: str, text: str) -> None:
        lines = [line for line in text.splitlines() if line.strip()]
        for n in (1, 2, 3):
            if len(lines) >= n:
                out.append({"id": f"{sample_id}#{n}", "lang": lang, "text": "\n".join(lines[:n])})

    for path in sorted((SHARED / "articles" / "fr-wikinews").glob("*.txt")):
        heads(f"fr-wikinews/{path.stem[:3]}", "fr", path.read_text(encoding="utf-8"))
    for line in (SHARED / "eval" / "dev_gold.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        heads(doc["id"], doc["lang"], doc["text"])
    for lang, texts in OWN.items():
        for i, text in enumerate(texts):
            out.append({"id": f"own/{lang}/{i}", "lang": lang, "text": text})
    return out


def _detector(name: str) -> Any:
    if name == "stopwords":
        return lambda text: _stopword_guess(text, "und")
    if name == "py3langid":
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return lambda text: ident.classify(text)[0]
    from lingua import LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_all_languages()
    if name == "lingua-low":
        builder = builder.with_low_accuracy_mode()
    det = builder.with_preloaded_language_models().build()

    def lingua(text: str) -> str:
        lang = det.detect_language_of(text)
        return lang.iso_code_639_1.name.lower() if lang is not None else "und"

    return lingua


def _worker(name: str) -> None:
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    detect = _detector(name)
    load = time.perf_counter() - t0
    items = samples()
    predictions = []
    t1 = time.perf_counter()
    for item in items:
        predictions.append(detect(item["text"]))
    per_call = (time.perf_counter() - t1) / len(items)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(
        {
            "load_s": round(load, 3),
            "ms_per_call": round(per_call * 1000, 3),
            "rss_mb": round((peak - base) / 1024, 1),
            "predicted": predictions,
        },
        sys.stdout,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--worker", choices=DETECTORS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker)
        return
    items = samples()
    results: dict[str, Any] = {"samples": len(items), "detectors": {}}
    per_sample: list[dict[str, Any]] = [{"id": s["id"], "lang": s["lang"]} for s in items]
    for name in DETECTORS:
        raw = subprocess.run(
            [sys.executable, __file__, "--worker", name], capture_output=True, text=True, check=True
        ).stdout
        run = json.loads(raw)
        predicted = run.pop("predicted")
        groups: dict[str, Counter[str]] = {}
        for sample, guess in zip(per_sample, predicted, strict=True):
            sample[name] = guess
            group = sample["id"].split("/")[0] if "/" in sample["id"] else sample["lang"]
            group = f"{group}/{sample['lang']}" if group == "own" else sample["lang"]
            key = (
                f"{group} {sample['id'].rsplit('#', 1)[1]} line(s)"
                if "#" in sample["id"]
                else group
            )
            groups.setdefault(key, Counter())["n"] += 1
            groups[key]["right"] += guess == sample["lang"]
        right = sum(s[name] == s["lang"] for s in per_sample)
        run["accuracy"] = round(right / len(items), 3)
        run["right"] = right
        run["by_group"] = {k: f"{v['right']}/{v['n']}" for k, v in sorted(groups.items())}
        results["detectors"][name] = run
        print(name, json.dumps(run), file=sys.stderr)
    results["wrong"] = [
        {k: v for k, v in s.items()}
        for s in per_sample
        if any(s[d] != s["lang"] for d in DETECTORS)
    ]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

"""Build ``fr-wikinews.jsonl`` from the hand labels below and the article texts.

Labels are written as text (speaker, content, cue as they appear in the article); this script
finds their offsets, so every span is checked against the text when the file is built::

    python tests/data/gold/build.py ../shared/articles    # writes fr-wikinews.jsonl

How the labels were chosen is in ``GUIDELINE.md`` next to this file.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LICENCE = (
    "Text: French Wikinews, CC BY 2.5 (see ATTRIBUTION.md); labels: this project, same licence."
)
SEED_LICENCE = "The project's seed article (tests/data/kursk.fr.txt); labels: this project."

# (speaker, content, cue, evidence, stance[, group]): exactly one of evidence and stance is set.
# A content is searched from the previous record's start, so repeated phrases resolve in order.
Label = tuple[Any, ...]
ARTICLES: dict[str, list[Label]] = {
    "015-espagne-l-agence-moody-s-degrade-28-banques-espagnoles.txt": [
        ("l'agence", "elles font suite à sa prise de décision d'abaissement de la note souveraine "
         "du pays de trois crans, de « A3 » à « Baa3 »", "Selon", "not_applicable", None),
        ("Les analystes du groupe Crédit Mutuel CIC", "L'abaissement de la note de 28 banques "
         "espagnoles par Moody's ne fait que confirmer le fait acquis que le système bancaire "
         "espagnol ne pourra pas se sortir de la crise sans intervention extérieure", "estiment",
         "not_applicable", None),
    ],
    "053-croatie-publication-des-noms-des-plus-gros-fraudeurs.txt": [
        ("Le fisc", "effort de transparence", "parlant d'un", "not_applicable", None),
        ("plusieurs associations croates", "cette publication flirte avec la démagogie",
         "Selon", None, "disputes"),
        ("Zlatko Zeljko", "Ils auraient dû s’inquiéter de la façon dont on peut contracter de "
         "telles dettes, c’est-à-dire des dysfonctionnements de nos institutions. Nous devons "
         "nous battre contre cela et ce n’est pas cette mesure populiste qui va nous y aider",
         "a déclaré", None, "disputes"),
    ],
    "099-vendee-globe-deja-un-abandon.txt": [
        ("Marc Guillemot", "son abandon, en raison « d'une rupture de la quille sous la "
         "flottaison", "a annoncé", "unclear", None),
        ("Marc Guillemot", "J'ai imaginé que quelque chose était cassé au niveau du saumon (bulbe "
         "de quille). Je n'ai pas imaginé que c'était toute la quille. Il reste un moignon de "
         "30 cm.", "a précisé", "unclear", None),
    ],
    "083-madrid-trois-morts-pietines-a-halloween.txt": [
        ("la police", "Trois jeunes femmes agées de 18 à 25 ans sont mortes piétinées et deux "
         "autres ont été grièvement blessées la nuit dernière lors d'une célébration de "
         "Halloween dans un stade transformé en salle de fêtes dans la capitale espagnole",
         "a indiqué", "unclear", None),
        ("un porte-parole de la police", "L'alerte a été donnée aux alentours de quatre heures "
         "et demie du matin « quand nous avons reçu des appels au sujet d'une bousculade dans le "
         "stade couvert appelé Madrid Arena »", "a indiqué", "unclear", None),
        ("un porte-parole de la police", "la bousculade meurtrière ait été provoquée « par un "
         "feu de Bengale lancé par quelqu'un dans l'enceinte du stade »", "a-t-il précisé",
         "unclear", None),
        ("le porte-parole de la police madrilène", "Nous sommes en ce moment même en train de "
         "recueillir des témoignages", "a ajouté", "not_applicable", None),
    ],
    "027-france-la-crise-financiere-touche-les-plus-pauvres-ainsi.txt": [
        ("un rapport établi par l'INSEE", "la crise économique et financière de 2009 a touché "
         "principalement les ménages français les plus désargentés, mais aussi les plus aisés",
         "Selon", "provided", None),
        ("M.Houdré", "Les 10 % des habitants les plus pauvres ont vu leur niveau de vie moyen "
         "reculer de 2,1 % entre 2008 et 2009, c'est 1.4 % de plus comparé à la fourchette "
         "2002-2004, et ce, « malgré la mise en œuvre de nouvelles mesures en leur faveur, et la "
         "mise en application du revenu de solidarité active en 2009 »", "selon", "provided",
         None),
    ],
    "052-espagne-polemique-sur-l-avortement.txt": [
        ("un collectif de défense des droits des femmes", "ce droit est remis en cause",
         "selon", "unclear", None),
        ("Alberto Ruiz-Gallardón", "on ne peut pas interdire à un être vivant de vivre sur le "
         "simple fait qu'il soit mal-formé", "Selon", "not_applicable", None),
        ("le collectif de défense des femmes", "il s'agit d'« un pas vers le franquisme »",
         "Pour", None, "disputes"),
        ("un sondage publié dans le quotidien espagnol El Pais", "81% des Espagnols se disent "
         "contre ce projet de loi", "selon", "provided", None),
    ],
    "091-indonesie-l-oreal-ouvre-sa-plus-grande-usine-au-monde.txt": [
        ("Joechen Zaumseil", "L'usine produira 200 millions de produits cosmétiques sur l'année "
         "2013, avec une capacité qui pourra être portée à 300 millions et jusqu'« à 500 "
         "millions à long terme »", "explique", "not_applicable", None),
        ("Joechen Zaumseil", "la construction a nécessité « 100 millions d'euros » "
         "d'investissement", "précise", "unclear", None),
        ("David Quentin", "les machines et les salariés tournent en trois équipes et produisent "
         "depuis peu 500 références de produits de soins pour les cheveux et pour la peau",
         "Selon", "unclear", None),
    ],
    "034-discours-de-politique-generale-de-jean-marc-ayrault.txt": [
        ("Jean-François Copé", "un discours « truffé d’incantations » et manquant « de courage "
         "politique »", "déplora", None, "disputes"),
        ("M. Ayrault", "il ne baissera pas les bras : « […] non, nous ne renoncerons pas ! »",
         "avait clairement affirmé", "not_applicable", None),
        ("Claude Bartolone", "L’assemblée nationale a donc voté la confiance au gouvernement "
         "Ayrault, qui devient ainsi le 36ème gouvernement de la Ve République française",
         "a annoncé", "provided", None),
        ("Claude Bartolone", "Sur 544 votants et 527 suffrages exprimés, il y a eu 302 voix pour "
         "et 225 contre", "a-t-il précisé", "provided", None),
    ],
    "084-election-presidentielle-americaine-de-2012-le-maire-de-new.txt": [
        ("Michael Bloomberg", "à voter pour Barack Obama à l'élection présidentielle de mardi "
         "prochain aux États-Unis, prônant le bilan du président sortant dans la lutte contre le "
         "changement climatique", "appelle", "not_applicable", None),
        ("Michael Bloomberg", "Notre climat change. L'augmentation des phénomènes climatiques "
         "extrêmes que nous avons vécus à New York et dans le monde peut être ou ne pas être le "
         "résultat de ce changement, mais le risque qu'il puisse l'être, compte tenu des dégâts "
         "de cette semaine, devrait obliger tous les dirigeants élus à prendre des mesures "
         "immédiates", "déclare-t-il", "not_applicable", None),
        ("Michael Bloomberg", "Sandy a influencé son choix", "reconnait", "not_applicable", None),
        ("Michael Bloomberg", "Barack Obama, qui vise un second mandat face au républicain Mitt "
         "Romney, a pris des mesures significatives de réduction de la consommation de carbone",
         "pense", "unclear", None),
        ("Barack Obama", "Je suis honoré d’avoir le soutien du maire de New York", "a déclaré",
         None, "supports"),
        (None, "tous les sites de paris en ligne voient en Obama le grand favori", None,
         "unclear", None),
    ],
    "020-france-hewlett-packard-va-supprimer-520-postes-d-ici-a-2014.txt": [
        ("la direction", "environ 520 postes seront supprimés en France d'ici à 2014",
         "a indiqué", "not_applicable", None),
        ("la direction", "8 000 de ces suppressions auraient lieu en Europe", "avait annoncé",
         "not_applicable", None),
        ("Gérald Karsenti", "vouloir procéder uniquement à des départs volontaires, exclusivement "
         "au travers d'un dispositif de retraite anticipée", "a indiqué", "not_applicable", None,
         "karsenti"),
        ("Gérald Karsenti", "embaucher 210 jeunes sur trois ans", "a indiqué", "not_applicable",
         None, "karsenti"),
        ("Myriam Martinet", "n'y a que 210 embauches sur trois ans, donc il y a une perte sèche "
         "de 310 emplois en France", "a elle relevé", None, "disputes"),
        ("Myriam Martinet", "[C'est] inacceptable dans la mesure où HP a augmenté sa distribution "
         "de dividendes [aux actionnaires] cette année", None, None, "disputes"),
    ],
    "065-france-pour-montebourg-le-nucleaire-est-une-filiere-d-avenir.txt": [
        ("Le ministre du Redressement productif", "le nucléaire est une filière d'avenir",
         "a déclaré", "not_applicable", None),
        ("Arnaud Montebourg", "il faut qu'il soit « rééquilibré »", "reconnait",
         "not_applicable", None),
        ("Arnaud Montebourg", "Avec une augmentation continue de la consommation des ménages et "
         "industrielle, même en maintenant notre parc de centrales actuel », la question est de "
         "savoir « si nous allons continuer à investir", "affirme-t-il", "not_applicable", None),
        ("Arnaud Montebourg", "Pour ma part, je considère que le nucléaire est une filière "
         "d'avenir", None, "not_applicable", None),
        ("le parti écologiste", "il s'agit de « propos isolés »", "pense", None, "qualifies"),
        ("Jean-Philippe Magnen", "Nous réagissons en n'attachant pas plus d'importance que cela "
         "aux propos d'Arnaud Montebourg que nous connaissions déjà comme étant pro-nucléaire",
         "déclare", None, "qualifies"),
        ("Jean-Philippe Magnen", "Le président a annoncé un grand débat national sur l'énergie. "
         "Il a pris un certain nombre d'engagements de réduire la part du nucléaire",
         "a-t-il précisé", None, "disputes"),
        ("François Hollande", "la réduction de la part du nucléaire dans la production "
         "d'électricité de 75 % à 50 % à l'horizon 2025", "avait promis", "not_applicable",
         None),
        ("Manuel Valls", "le nucléaire est incontestablement et évidement une filière d'avenir",
         "en affirmant", None, "supports"),
    ],
    "067-election-presidentielle-americaine-de-2012-obama-raille.txt": [
        ("Mitt Romney", "l'entraîneur qui ferait triompher les Etats-Unis", "se présentait comme",
         "not_applicable", None),
        ("Obama", "le problème est que tout le monde connaît déjà sa stratégie", "pour", None,
         "disputes"),
        ("le Président-candidat", "Lors de la première période, il augmente les impôts de près "
         "de 2 000 dollars en moyenne sur les foyers avec enfants, pour pouvoir donner des "
         "cadeaux fiscaux massifs aux multimillionnaires", "dénonce", None, "disputes"),
        ("B. Obama", "il veut une apothéose : mettre fin à Medicare et le remplacer par un "
         "système de coupons", None, None, "disputes"),
        ("B. Obama", "avec un tel coach, les Américains « ne gagneront pas la saison »", "Pour",
         None, "disputes"),
    ],
    "kursk.fr.txt": [
        ("Le Pentagone", "2 000 soldats nord-coréens ont été envoyés dans la région russe de "
         "Koursk", "estime", "none_provided", None),
        ("le Pentagone", "plusieurs milliers de soldats nord-coréens auraient été envoyés dans la "
         "région russe de Koursk, tandis qu'environ 10 000 soldats nord-coréens auraient été "
         "déployés en Russie", "estime", "none_provided", None),
        ("Patrick Ryder", "Nous pensons que la Corée du Nord a envoyé environ 10 000 soldats "
         "s'entraîner dans l'est de la Russie et que ces troupes viendront probablement "
         "renforcer les forces russes près de la frontière ukrainienne dans les semaines à "
         "venir. Certaines troupes se sont rapprochées de l'Ukraine, en direction de Koursk, "
         "tandis que plusieurs milliers se trouvent déjà dans la région de Koursk, en Russie",
         "a déclaré", "none_provided", None),
        ("Mark Rutte", "le 28 octobre, la délégation sud-coréenne avait fourni à l'alliance des "
         "« preuves » de l'envoi de troupes par la Corée du Nord en Russie, notamment dans la "
         "région de Koursk", "avait déclaré", "referenced_not_disclosed", None),
        ("Poutine", "la question de l'assistance militaire mutuelle est une question de "
         "souveraineté pour la Russie et la Corée du Nord, et qu'elles seules peuvent décider de "
         "se limiter à des exercices et à des échanges d'expériences dans le cadre d'une "
         "disposition stipulée dans l'accord de coopération en matière de défense, ou "
         "« d'appliquer quelque chose de plus »", "a déclaré", None, "deflects"),
        ("Maria Zakharova", "l'interaction entre Moscou et Pyongyang dans le domaine militaire "
         "ne violait pas les normes du droit international", "a souligné", None, "denies"),
        ("Maria Zakharova", "« d'exagération et de farce » l'« excitation » en Corée du Sud face "
         "aux informations selon lesquelles la Corée du Nord enverrait des troupes en Russie",
         "a qualifié", None, "disputes"),
    ],
}  # fmt: skip

# Who a description or a short mention is, when the article names them (``speaker_resolved``).
RESOLVED = {
    "l'agence": "Moody's",
    "M. Ayrault": "Jean-Marc Ayrault",
    "M.Houdré": "Houdré",
    "un rapport établi par l'INSEE": "INSEE",
    "la direction": "Hewlett-Packard",
    "Le ministre du Redressement productif": "Arnaud Montebourg",
    "le parti écologiste": "Europe Écologie Les Verts",
    "le Président-candidat": "Barack Obama",
    "B. Obama": "Barack Obama",
    "Obama": "Barack Obama",
    "Poutine": "Vladimir Poutine",
}


def _pattern(piece: str) -> re.Pattern[str]:
    """Apostrophes of either kind and any run of spaces match each other."""
    out = []
    for c in piece:
        if c in "'’":
            out.append("['’]")
        elif c.isspace():
            out.append(r"\s+")
        else:
            out.append(re.escape(c))
    return re.compile("".join(out))


def _find(text: str, piece: str, start: int = 0) -> tuple[int, int]:
    found = _pattern(piece).search(text, start)
    if found is None:
        raise SystemExit(f"not in the text: {piece[:60]!r}")
    return found.start(), found.end()


def _nearest(text: str, piece: str, at: int) -> tuple[int, int]:
    """The mention closest to ``at`` (the statement), before or after it."""
    spans = [(m.start(), m.end()) for m in _pattern(piece).finditer(text)]
    if not spans:
        raise SystemExit(f"speaker not in the text: {piece!r}")
    return min(spans, key=lambda s: abs(s[0] - at))


def _kind(text: str, s: int, e: int) -> str:
    inside = text[s:e]
    before, after = text[max(0, s - 2) : s], text[e : e + 2]
    if "«" in before and "»" in after and "«" not in inside and "»" not in inside:
        return "direct"
    return "mixed" if "«" in inside or "»" in inside else "indirect"


def build(articles: Path) -> list[dict[str, Any]]:
    docs = []
    for name, labels in ARTICLES.items():
        seed = name == "kursk.fr.txt"
        raw = (articles / ("seed" if seed else "fr-wikinews") / name).read_text(encoding="utf-8")
        lines = raw.split("\n")
        # Wikinews files: title, ISO date, blank line, body. The seed: title, then the body.
        title, text = (lines[0], "\n".join(lines[1:])) if seed else (lines[0], "\n".join(lines[3:]))
        text = text.strip()
        records = []
        cursor = 0
        for label in labels:
            speaker, content, cue, evidence, stance = label[:5]
            assert (evidence is None) != (stance is None), label
            s, e = _find(text, content, cursor)
            cursor = s
            record: dict[str, Any] = {
                "speaker": speaker,
                "speaker_span": list(_nearest(text, speaker, s)) if speaker else None,
                "cue": cue,
                "content": text[s:e],
                "content_span": [s, e],
                "kind": _kind(text, s, e),
                "evidence": evidence,
                "stance": stance,
            }
            if record["speaker_span"] is not None:
                record["speaker"] = text[slice(*record["speaker_span"])]
            if speaker in RESOLVED:
                record["speaker_resolved"] = RESOLVED[speaker]
            if len(label) > 5:
                record["group"] = label[5]
            records.append(record)
        docs.append(
            {
                "id": f"{'seed' if seed else 'frwikinews'}-{name.removesuffix('.txt')}",
                "lang": "fr",
                "source_corpus": "seed" if seed else "fr-wikinews",
                "licence": SEED_LICENCE if seed else LICENCE,
                "title": title,
                "text": text,
                "attributions": records,
                "events": [],
            }
        )
    return docs


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parents[3] / "shared" / "articles")
    with (HERE / "fr-wikinews.jsonl").open("w", encoding="utf-8") as out:
        for doc in build(root):
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
